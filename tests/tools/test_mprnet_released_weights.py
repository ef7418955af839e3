"""configs/mprnet/ load MPRNet's released weights unchanged.

Each released file is stood in for by one with the official key names and
shapes of its width (tests/helpers.py, from the recorded official layout),
seeded random weights and the release's file layout ``{'state_dict': sd}``
(the deraining file's keys carry ``module.``). ``tools/infer.py`` and
``tools/test.py`` run on it (as ``__main__``, in process:
:func:`tests.helpers.run_script`) with the config as committed and must give
what the network computes when the weights are put into it directly.
"""
import json
import os

import cv2
import numpy as np
import pytest
import torch

from tests.helpers import (MPRNET_WIDTHS, official_mprnet_file,
                           official_mprnet_layout, run_script, smooth_image)
from toolbox.apis import init_model, restore_path
from toolbox.weights import CheckpointMismatchError
from toolbox.evaluation import functional
from toolbox.models.backbones.mprnet import MPRNet

RELEASES = [
    # config, variant, file name, keys saved from DataParallel
    ('mprnet_derain_rain13k.py', 'deraining', 'model_deraining.pth', True),
    ('mprnet_deblur_gopro.py', 'deblurring', 'model_deblurring.pth', False),
    ('mprnet_denoise_sidd.py', 'denoising', 'model_denoising.pth', False),
]
# The command line runs for deraining and deblurring, denoising goes through
# the same init_model + restore_path directly.
THROUGH_CLI = ('deraining', 'deblurring')
OFFICIAL_PARAMETERS = {'deraining': 3_637_249, 'denoising': 15_741_025,
                       'deblurring': 20_127_073}


def run_tool(repo_root, script, *args):
    return run_script(repo_root, script, *args)


@torch.no_grad()
def direct(variant, state, rgb):
    """The released network with ``state`` on a uint8 RGB image."""
    net = MPRNet(variant=variant).eval()
    net.load_state_dict(state, strict=True)
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255
    out = net(x)[0][0].clamp(0, 1) * 255
    return out.round().byte().permute(1, 2, 0).numpy()


def test_derived_layouts_have_the_released_parameter_counts():
    for variant, count in OFFICIAL_PARAMETERS.items():
        layout = official_mprnet_layout(variant)
        # the shared PReLU is saved under each of its 55 names
        prelu = [k for k, shape in layout.items() if shape == (1, )]
        assert len(prelu) == 55
        total = sum(int(np.prod(s)) for s in layout.values())
        assert total - len(prelu) + 1 == count, variant
    assert set(MPRNET_WIDTHS) == set(OFFICIAL_PARAMETERS)


def write_image(folder):
    """An odd-sized image (the config's pipeline pads and crops back)."""
    folder.mkdir()
    image = cv2.resize(smooth_image(np.random.default_rng(0), 32), (29, 21))
    cv2.imwrite(str(folder / 'a.png'), image[..., ::-1])  # file holds RGB
    return image


@pytest.mark.parametrize('config,variant,filename,module_prefix', RELEASES,
                         ids=[r[0] for r in RELEASES])
def test_infer_reproduces_the_released_model(tmp_path, repo_root, config,
                                             variant, filename,
                                             module_prefix):
    checkpoint = tmp_path / filename
    state = official_mprnet_file(checkpoint, variant, seed=3,
                                 module_prefix=module_prefix)
    image = write_image(tmp_path / 'in')
    out = tmp_path / 'out'
    if variant in THROUGH_CLI:
        result = run_tool(
            repo_root, 'tools/infer.py', f'configs/mprnet/{config}',
            '--checkpoint', str(checkpoint), '--input', str(tmp_path / 'in'),
            '--output', str(out))
        assert result.returncode == 0, result.stderr[-3000:]
    else:
        model = init_model(os.path.join(repo_root, 'configs', 'mprnet',
                                        config), str(checkpoint))
        restore_path(model, str(tmp_path / 'in'), str(out), progress=False)
    written = cv2.imread(str(out / 'a.png'))[..., ::-1]
    expected = direct(variant, state, image)
    diff = np.abs(written.astype(int) - expected.astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99
    # the weights did something (not an identity that any file would pass)
    assert np.abs(written.astype(int) - image.astype(int)).mean() > 2


def test_a_release_of_another_width_is_refused_briefly(tmp_path, repo_root):
    checkpoint = tmp_path / 'model_deblurring.pth'
    official_mprnet_file(checkpoint, 'deblurring')
    config = os.path.join(repo_root, 'configs', 'mprnet',
                          'mprnet_derain_rain13k.py')
    with pytest.raises(CheckpointMismatchError) as error:
        init_model(config, str(checkpoint))
    message = str(error.value)
    assert 'model_deblurring.pth' in message and 'size mismatch' in message
    assert '\n' not in message and len(message) < 600
    # tools/test.py and tools/train.py: MMEngine's non-strict load_from
    # would only warn, tensor by tensor, and test a random network
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    from toolbox.registry import MODELS
    with DefaultScope.overwrite_default_scope('toolbox'):
        restorer = MODELS.build(Config.fromfile(config).model)
    with pytest.raises(CheckpointMismatchError,
                       match='Restorer.generator .MPRNet.: size mismatch'):
        load_checkpoint(restorer, str(checkpoint), strict=False,
                        logger='silent', revise_keys=[(r'^module\.', '')])
    # the config at the deblurring widths takes it (tools/infer.py
    # --cfg-options model.generator.variant=deblurring)
    model = init_model(config, str(checkpoint),
                       cfg_options={'model.generator.variant': 'deblurring'})
    assert model.generator.n_feat == 96


def test_test_tool_scores_the_released_deraining_model(tmp_path, repo_root):
    checkpoint = tmp_path / 'model_deraining.pth'
    state = official_mprnet_file(checkpoint, 'deraining', seed=5,
                                 module_prefix=True)
    root = tmp_path / 'Rain1400' / 'test'
    (root / 'rainy_image').mkdir(parents=True)
    (root / 'ground_truth').mkdir()
    rng = np.random.default_rng(1)
    expected = []
    for scene in (901, 902):
        clean = smooth_image(rng, 24)
        cv2.imwrite(str(root / 'ground_truth' / f'{scene}.png'),
                    clean[..., ::-1])
        rainy = np.clip(clean.astype(int) + rng.integers(0, 40, clean.shape),
                        0, 255).astype(np.uint8)
        cv2.imwrite(str(root / 'rainy_image' / f'{scene}_1.png'),
                    rainy[..., ::-1])
        restored = direct('deraining', state, rainy).astype(np.float64)
        expected.append(functional.psnr(restored, clean.astype(np.float64),
                                        convert_to='y', round_y=True))
    out = tmp_path / 'r.json'
    result = run_tool(
        repo_root, 'tools/test.py', 'configs/mprnet/mprnet_derain_rain13k.py',
        str(checkpoint), '--out', str(out), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_root={root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False')
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    psnr = json.loads(out.read_text())['metrics']['PSNR']
    assert psnr == pytest.approx(np.mean(expected), abs=0.02)
