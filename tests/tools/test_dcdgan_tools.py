"""tools/train.py, tools/test.py and tools/infer.py on the DCD-GAN configs.

Every ``configs/dcdgan/*.py`` trains for 2 iterations on a tiny generated
tree in its layout: ``trainA/trainB`` unpaired, ``testA/testB`` paired
(Rain1400's naming for DDN-Data), a real-rain folder; the demo config on
the demo data's layout."""
import glob
import json
import os.path as osp
import shutil
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from tests.helpers import (run_tool_in_process, write_image_folder,
                           write_paired_folder)
from tests.tools.resume_check import (changed_tensors, resume_differences,
                                      train_straight_and_resumed)
from tests.tools.test_infer import run_infer
from tests.tools.test_train_test_tools import run_tool

DCDGAN_CONFIGS = sorted(p for p in glob.glob('configs/dcdgan/*.py')
                        if osp.basename(p) != 'tables.py')  # the tables' spec
DEMO = 'configs/dcdgan/dcdgan_demo.py'
#: The supervised probe of the demo's generator (configs/demo/).
PROBE = 'configs/demo/gan_demo_paired_probe.py'
#: CycleGAN's demo with DCD-GAN's anti-aliased generator (configs/demo/).
ANTIALIAS_PROBE = 'configs/demo/cyclegan_antialias_probe.py'
#: The demo data's unpaired rain set, under a test's data root.
DEMO_ROOT = 'demo/unpaired/rain'
#: The config that also runs with --amp (CPU autocast, bfloat16).
AMP_CONFIG = 'configs/dcdgan/dcdgan_rain800.py'
#: 2 heads × 4 layers × 2 linear layers × (weight, bias).
HEAD_TENSORS = 32


@pytest.fixture(scope='module')
def dcd_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('dcd_data')
    for name in ('paired', 'ddn'):
        write_image_folder(root / name / 'trainA', 2, 40, seed=1)
        write_image_folder(root / name / 'trainB', 2, 40, seed=2)
    write_paired_folder(root / 'paired', count=2, size=48, seed=3,
                        img_dir='testA', gt_dir='testB')
    # Rain1400's naming: testA/<scene>_<k>.png -> testB/<scene>.png.
    write_paired_folder(root / 'ddn', count=2, size=48, seed=3,
                        img_dir='testA', gt_dir='testB')
    for path in (root / 'ddn' / 'testA').glob('*.png'):
        path.rename(path.with_name(f'{path.stem}_1.png'))
    # NIQE needs 96×96 pixels at least.
    write_image_folder(root / 'real_rain', 2, 96, seed=4)
    demo = root / 'demo' / 'unpaired' / 'rain'
    write_image_folder(demo / 'train' / 'rainy', 2, 96, seed=5)
    write_image_folder(demo / 'train' / 'clean', 2, 72, seed=6)
    write_paired_folder(demo / 'test', count=2, size=96, seed=7)
    # The probe's pairs: train/clean's names (any content does here).
    shutil.copytree(demo / 'train' / 'clean', demo / 'probe' / 'rainy')
    return root


def demo_options(root):
    return [
        f'train_dataloader.dataset.data_root={root}/{DEMO_ROOT}/train',
        f'val_dataloader.dataset.data_root={root}/{DEMO_ROOT}/test',
        f'test_dataloader.0.dataset.data_root={root}/{DEMO_ROOT}/test',
        f'test_dataloader.1.dataset.data_root={root}/{DEMO_ROOT}/test',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1',
        'param_scheduler.0.begin=1', 'param_scheduler.0.end=2',
    ]


def paper_options(config, root):
    # Two images per domain, batch 1: one epoch is 2 iterations. The
    # load/crop sizes (512/256) and the networks' widths are cut to keep
    # the test fast; layers, heads and losses are the config's.
    tree = root / ('ddn' if 'ddndata' in config else 'paired')
    return [
        f'train_dataloader.dataset.data_root={tree}',
        'train_dataloader.dataset.pipeline.2.size=72',
        'train_dataloader.dataset.pipeline.3.crop_size=64',
        'train_dataloader.dataset.pipeline.4.crop_size=64',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'val_dataloader.dataset.data_root={tree}',
        'val_dataloader.num_workers=0',
        f'test_dataloader.0.dataset.data_root={tree}',
        f'test_dataloader.1.dataset.data_root={root}/real_rain',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1',
        'model.generator.base_channels=8',
        'model.discriminator.base_channels=8',
        'model.head.mlp_channels=32',
    ]


def train(repo_root, config, options, work_dir, *extra):
    """tools/train.py in this process (the config tests are many)."""
    code, log = run_tool_in_process(repo_root, 'tools/train.py', [
        config, '--work-dir', work_dir, *extra, '--cfg-options'] + options)
    assert code == 0, log[-4000:]
    return log


@pytest.fixture(scope='module')
def trained_demo(dcd_data, repo_root, tmp_path_factory):
    """The demo config (its own network sizes), 2 iterations."""
    work_dir = tmp_path_factory.mktemp('dcdgan_demo')
    log = train(repo_root, DEMO, demo_options(dcd_data), work_dir)
    return work_dir, log


def test_paired_probe_trains_the_demo_generator_with_pairs(
        dcd_data, repo_root, tmp_path):
    """The probe is the demo's generator (same sizes, global residual),
    trained with L1 on probe/rainy → train/clean, and tested on the demo's
    two held-out sets."""
    demo, probe = Config.fromfile(DEMO), Config.fromfile(PROBE)
    assert probe.model.type == 'Restorer'
    assert probe.model.generator == demo.model.generator
    assert probe.optim_wrapper.optimizer == \
        demo.optim_wrapper.generators.optimizer
    assert probe.param_scheduler == demo.param_scheduler
    assert probe.test_dataloader == demo.test_dataloader
    options = demo_options(dcd_data)
    options[0] = f'train_dataloader.dataset.data_root={dcd_data}/{DEMO_ROOT}'
    log = train(repo_root, PROBE, options, tmp_path)
    assert 'loss_l1' in log and 'dRGB' in log
    state = torch.load(tmp_path / 'iter_2.pth', map_location='cpu',
                       weights_only=False)
    assert {k.split('.')[0] for k in state['state_dict']} == {'generator'}


def test_antialias_probe_is_cyclegan_with_the_dcdgan_generator(
        dcd_data, repo_root, tmp_path):
    """The anti-aliased probe is the CycleGAN demo (objective,
    discriminator, data, schedule) whose generator samples as DCD-GAN's
    does, and it trains."""
    cyclegan = Config.fromfile('configs/cyclegan/cyclegan_demo.py')
    probe = Config.fromfile(ANTIALIAS_PROBE)
    assert 'antialias' not in cyclegan.model.generator  # strided
    assert probe.model.generator.pop('antialias') is True
    assert Config.fromfile(DEMO).model.generator.antialias
    assert probe.to_dict() == cyclegan.to_dict()
    log = train(repo_root, ANTIALIAS_PROBE, demo_options(dcd_data), tmp_path)
    assert 'loss_gan_a2b' in log and 'dRGB' in log
    state = torch.load(tmp_path / 'iter_2.pth', map_location='cpu',
                       weights_only=False)
    assert any(k.endswith('.filt') for k in state['state_dict']
               if k.startswith('generator_a2b.'))


def test_every_dcdgan_config_is_covered():
    names = {osp.basename(c) for c in DCDGAN_CONFIGS}
    assert {'dcdgan_demo.py', 'dcdgan_rain800.py', 'dcdgan_diddata.py',
            'dcdgan_ddndata.py', 'dcdgan_spadata.py',
            'dcdgan_released_rain800.py'} <= names
    assert len([n for n in names if n.startswith('dcdgan_rain800_')]) == 8


@pytest.mark.parametrize('config', DCDGAN_CONFIGS)
def test_dcdgan_config_trains_two_iterations(config, dcd_data, repo_root,
                                             tmp_path, request):
    amp = config == AMP_CONFIG
    if config == DEMO:
        work_dir, log = request.getfixturevalue('trained_demo')
    else:
        work_dir = tmp_path
        log = train(repo_root, config, paper_options(config, dcd_data),
                    work_dir, *(['--amp'] if amp else []))
    # The first checkpoint holds the heads and their optimiser.
    first = sorted(glob.glob(str(work_dir / '*_1.pth')))
    assert first, log[-3000:]
    state = torch.load(first[0], map_location='cpu', weights_only=False)
    assert set(state['optimizer']) == {'generators', 'discriminators',
                                       'heads'}
    heads = state['optimizer']['heads']
    assert len(heads['param_groups'][0]['params']) == HEAD_TENSORS
    assert heads['param_groups'][0]['initial_lr'] == 1e-3
    for name in ('generator_a2b', 'generator_b2a', 'discriminator_a',
                 'discriminator_b', 'head_a2b', 'head_b2a'):
        assert any(k.startswith(name + '.') for k in state['state_dict'])
    contrastive = 'wo_contrastive' not in config
    # Adam has state for the heads once they have had a gradient.
    assert bool(heads['state']) == contrastive
    assert ('loss_nce_a2b' in log) == contrastive
    logged = [line for line in log.splitlines() if 'loss_disc_b' in line]
    assert len(logged) == 2 and 'nan' not in logged[-1]
    assert 'PSNR' in log  # validation ran
    if config == DEMO:
        # ValImageGridHook drew the deraining generator's predictions.
        assert glob.glob(str(work_dir / '*' / 'vis_data' / 'vis_image' /
                             'val_*.png')), log[-3000:]
    if amp:
        dumped = Config.fromfile(str(work_dir / osp.basename(config)))
        for name in ('generators', 'discriminators', 'heads'):
            assert dumped.optim_wrapper[name].type == \
                'MixedPrecisionOptimWrapper'


def test_dcdgan_resume_is_exact(dcd_data, repo_root, tmp_path):
    """2 iterations + --resume + 1 == 3 straight iterations, bit for bit:
    every tensor of the state dict, the three optimisers and schedulers,
    and the random states (issue 28: 96 of the 130 tensors differed, the
    patch positions being drawn from PyTorch's re-seeded generator). The
    straight run validates after iteration 2, between the checkpoint and
    iteration 3, which must not move the training's random streams."""
    options = demo_options(dcd_data)[:4] + [
        'train_cfg.max_iters=3', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=1',
        # The rate stays above 0 at iteration 3, so that step moves weights.
        'param_scheduler.0.begin=2', 'param_scheduler.0.end=4',
    ]
    at_2, straight, resumed = train_straight_and_resumed(
        repo_root, DEMO, options, tmp_path, last=3, resume_at=2)
    assert resume_differences(straight, resumed) == []
    assert len(changed_tensors(at_2, straight)) > 100
    assert straight['resume_state']['world_size'] == 1


def test_dcdgan_epoch_resume_is_exact(dcd_data, repo_root, tmp_path):
    """The paper config's epoch-based loop (2 images, batch 1: 2 iterations
    an epoch): 1 epoch + --resume + 1 == 2 straight epochs, bit for bit.
    MMEngine's EpochBasedTrainLoop replays nothing: the random states come
    back at the start of the epoch. Mid-epoch checkpoints are not exact
    (the loop restarts their epoch), hence ``by_epoch=True`` here."""
    options = [o for o in paper_options(AMP_CONFIG, dcd_data)
               if not o.startswith(('train_cfg.', 'default_hooks.check'))]
    options += ['train_cfg.max_epochs=2', 'train_cfg.val_interval=1',
                'default_hooks.checkpoint.by_epoch=True',
                'default_hooks.checkpoint.interval=1']
    at_1, straight, resumed = train_straight_and_resumed(
        repo_root, AMP_CONFIG, options, tmp_path, last=2, resume_at=1,
        unit='epoch')
    assert resume_differences(straight, resumed) == []
    assert len(changed_tensors(at_1, straight)) > 100


def test_test_tool_scores_both_demo_test_sets(trained_demo, dcd_data,
                                              repo_root, tmp_path):
    work_dir, _ = trained_demo
    out = tmp_path / 'r.json'
    log = run_tool(repo_root, [
        sys.executable, 'tools/test.py', DEMO, str(work_dir / 'iter_2.pth'),
        '--out', str(out), '--cfg-options'] + demo_options(dcd_data))
    assert 'demo_rain_heldout_noref' in log
    metrics = json.loads(out.read_text())['metrics']
    assert {'demo_rain_heldout/PSNR', 'demo_rain_heldout/SSIM',
            'demo_rain_heldout/dRGB', 'demo_rain_heldout_noref/NIQE',
            'demo_rain_heldout_noref/BRISQUE'} <= set(metrics)


def test_infer_tool_runs_the_deraining_generator(trained_demo, dcd_data,
                                                 repo_root, tmp_path):
    from toolbox.apis import init_model, restore_image
    work_dir, _ = trained_demo
    checkpoint = str(work_dir / 'iter_2.pth')
    src = tmp_path / 'rainy'
    shutil.copytree(dcd_data / DEMO_ROOT / 'test' / 'input', src)
    rng = np.random.default_rng(0)
    cv2.imwrite(str(src / 'odd.png'),
                rng.integers(0, 256, (37, 45, 3)).astype(np.uint8))
    out = tmp_path / 'derained'
    result = run_infer(repo_root, DEMO, '--checkpoint', checkpoint,
                       '--input', str(src), '--output', str(out),
                       '--tile', '32', '--tile-overlap', '8')
    assert result.returncode == 0, result.stderr[-3000:]
    assert '3 image(s) written' in result.stdout
    model = init_model(DEMO, checkpoint)
    assert model.inference_network() is model.generator_a2b
    rgb = cv2.imread(str(src / 'odd.png'))[..., ::-1].copy()
    written = cv2.imread(str(out / 'odd.png'))[..., ::-1]
    assert np.array_equal(written, restore_image(model, rgb, tile=32,
                                                 tile_overlap=8))
    # Untiled, the API is G_A on the whole image: normalise, reflect-pad
    # to a multiple of 4, crop back.
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 127.5 - 1
    x = torch.nn.functional.pad(x, (0, 3, 0, 3), mode='reflect')
    with torch.no_grad():
        y = model.generator_a2b(x)[0, :, :37, :45]
    expected = ((y + 1) * 127.5).clamp(0, 255).round().byte()
    assert np.array_equal(restore_image(model, rgb),
                          expected.permute(1, 2, 0).numpy())
    # A generator-only file (what the released code saves as
    # latest_net_G_A.pth) loads into G_A.
    official = tmp_path / 'latest_net_G_A.pth'
    torch.save(model.generator_a2b.state_dict(), official)
    again = init_model(DEMO, str(official))
    for key, value in model.generator_a2b.state_dict().items():
        assert torch.equal(again.generator_a2b.state_dict()[key], value), key
