"""tools/infer.py end to end on a tiny folder (as ``__main__``, in
process: :func:`tests.helpers.run_script`)."""
import cv2
import numpy as np
import torch

from tests.helpers import run_script

# n_feat=4 here; the run below sets 8 with --cfg-options, which the
# checkpoint needs.
CONFIG = """
model = dict(
    type='Restorer',
    generator=dict(type='MPRNet', n_feat=4, scale_unetfeats=4,
                   scale_orsnetfeats=4, num_cab=1),
    losses=[dict(type='CharbonnierLoss'), dict(type='EdgeLoss',
                                                  loss_weight=0.05)],
    data_preprocessor=dict(type='RestorationDataPreprocessor',
                           value_range='[0,1]', pad_size_divisor=8))
"""


def run_infer(repo_root, *args):
    return run_script(repo_root, 'tools/infer.py', *args)


def test_infer_folder_with_official_checkpoint(tmp_path, repo_root):
    from mmengine.config import Config

    from toolbox.apis import init_model, restore_image
    from toolbox.registry import MODELS

    config = tmp_path / 'tiny_mprnet.py'
    config.write_text(CONFIG)
    options = {'model.generator.n_feat': 8}
    torch.manual_seed(0)
    net = MODELS.build(dict(Config.fromfile(str(config)).model.generator,
                            n_feat=8))
    checkpoint = tmp_path / 'model_deraining.pth'
    torch.save({'state_dict': {'module.' + k: v
                               for k, v in net.state_dict().items()}},
               checkpoint)
    src = tmp_path / 'rainy'
    src.mkdir()
    rng = np.random.default_rng(0)
    sizes = {'a': (40, 28), 'b': (21, 35)}
    for name, (h, w) in sizes.items():
        img = cv2.resize(rng.integers(0, 256, (6, 6, 3)).astype(np.uint8),
                         (w, h))
        cv2.imwrite(str(src / f'{name}.png'), img)

    out = tmp_path / 'restored'
    result = run_infer(repo_root, str(config), '--checkpoint',
                       str(checkpoint), '--input', str(src), '--output',
                       str(out), '--tile', '24', '--tile-overlap', '8',
                       '--tile-blend', '1', '--tile-batch', '3',
                       '--cfg-options', 'model.generator.n_feat=8')
    assert result.returncode == 0, result.stderr
    assert '2 image(s) written' in result.stdout

    model = init_model(str(config), str(checkpoint), cfg_options=options)
    for name, (h, w) in sizes.items():
        written = cv2.imread(str(out / f'{name}.png'))
        assert written.shape == (h, w, 3)
        rgb = cv2.imread(str(src / f'{name}.png'))[..., ::-1].copy()
        expected = restore_image(model, rgb, tile=24, tile_overlap=8,
                                 tile_blend=1.0)
        assert np.array_equal(written[..., ::-1], expected)

    missing = run_infer(repo_root, str(config), '--checkpoint',
                        str(tmp_path / 'no_such_weights.pth'), '--input',
                        str(src), '--output', str(out))
    assert missing.returncode != 0
    assert 'no_such_weights.pth' in missing.stderr
    assert 'Traceback' not in missing.stderr

    # Writing into the input folder (or over an input file) is refused
    # before anything is restored, unless --into-input says so.
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    for output in (src, src / 'restored', src / 'a.png'):
        source = src / 'a.png' if output.suffix else src
        refused = run_infer(repo_root, str(config), '--checkpoint',
                            str(checkpoint), '--input', str(source),
                            '--output', str(output), '--cfg-options',
                            'model.generator.n_feat=8')
        assert refused.returncode == 2, refused.stderr[-2000:]
        assert f'--output {output}' in refused.stderr
        assert '--into-input' in refused.stderr
        assert 'Traceback' not in refused.stderr
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before
    allowed = run_infer(repo_root, str(config), '--checkpoint',
                        str(checkpoint), '--input', str(src), '--output',
                        str(src / 'restored'), '--into-input',
                        '--cfg-options', 'model.generator.n_feat=8')
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert (src / 'restored' / 'a.png').is_file()
