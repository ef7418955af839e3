"""tools/test.py --save-dir: every restored image of every test set on disk
(toolbox/engine/image_writer.py's SaveRestoredImagesHook), for a Restorer
and a GAN, named after the inputs and as the metrics scored them."""
import json
import shutil

import cv2
import numpy as np
import pytest

from tests.helpers import write_paired_folder
from tests.tools.test_gan_tools import DEMO_ROOT, demo_options  # noqa: F401
from tests.tools.test_gan_tools import gan_data  # noqa: F401
from tests.tools.test_reliability import (TINY, run_inprocess, save_model_of,
                                          tiny_options)
from toolbox.engine.image_writer import output_name
from toolbox.structures import RestorationSample

DCDGAN_DEMO = 'configs/dcdgan/dcdgan_demo.py'


def read_rgb(path):
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image[..., ::-1]


@pytest.fixture(scope='module')
def odd_paired_root(tmp_path_factory):
    """Two 37×37 pairs (an odd size: the outputs must be cropped back to
    it) and one input in a subfolder (its key is 'sub/000')."""
    root = tmp_path_factory.mktemp('save_dir_paired')
    write_paired_folder(root / 'test', count=2, size=37, seed=3)
    write_paired_folder(root / 'sub', count=1, size=37, seed=4)
    for side in ('input', 'target'):
        (root / 'test' / side / 'sub').mkdir()
        shutil.move(root / 'sub' / side / '000.png',
                    root / 'test' / side / 'sub' / '000.png')
    write_paired_folder(root / 'train', count=2, size=64)
    return root


def test_output_names_keep_the_key_and_stay_inside():
    def name(**meta):
        return output_name(RestorationSample(metainfo=meta))
    assert name(key='scene1/0001', img_path='x/scene1/0001.jpg') == \
        'scene1/0001.png'
    assert name(img_path='/data/rain/0001.jpg') == '0001.png'
    assert name(key='../../etc/x') == 'etc/x.png'
    # A config can list the hook itself (custom_hooks).
    from toolbox.registry import HOOKS
    hook = HOOKS.build(dict(type='SaveRestoredImagesHook', out_dir='x'))
    assert type(hook).__name__ == 'SaveRestoredImagesHook'


def test_restorer_writes_what_the_metrics_scored(
        repo_root, odd_paired_root, tmp_path, capsys, monkeypatch):
    from toolbox.evaluation.folder_scoring import mean_scores, score_folder
    ckpt = tmp_path / 'tiny.pth'
    save_model_of(TINY, ckpt)
    out, saved = tmp_path / 'r.json', tmp_path / 'restored'
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, ckpt, '--out', out, '--save-dir', saved, '--cfg-options'] +
        tiny_options(odd_paired_root), capsys, monkeypatch)
    assert code == 0, log[-3000:]
    inputs = odd_paired_root / 'test' / 'input'
    names = sorted(str(p.relative_to(saved)) for p in saved.rglob('*.png'))
    assert names == ['000.png', '001.png', 'sub/000.png']
    for name in names:
        image = read_rgb(saved / name)
        assert image.shape == (37, 37, 3) and image.dtype == np.uint8
        assert not np.array_equal(image, read_rgb(inputs / name))
    # The saved images are the predictions the test scored (the metrics
    # round to 8 bits first, as the PNGs hold).
    scores = mean_scores(score_folder(
        str(saved), ['psnr'], ref_folder=str(odd_paired_root / 'test' /
                                             'target'), progress=False))
    metrics = json.loads(out.read_text())['metrics']
    assert np.isclose(metrics['PSNR'], scores['psnr'], rtol=0, atol=1e-9)
    assert f'3 restored images written to {saved}' in log


def test_a_gan_writes_a_folder_per_test_set(
        repo_root, gan_data, tmp_path, capsys, monkeypatch):  # noqa: F811
    from toolbox.apis import init_model, restore_image
    ckpt = tmp_path / 'dcdgan.pth'
    save_model_of(DCDGAN_DEMO, ckpt)
    saved = tmp_path / 'restored'
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        DCDGAN_DEMO, ckpt, '--save-dir', saved, '--cfg-options'] +
        demo_options(gan_data), capsys, monkeypatch)
    assert code == 0, log[-3000:]
    inputs = gan_data / DEMO_ROOT / 'test' / 'input'
    sets = ('demo_rain_heldout', 'demo_rain_heldout_noref')
    assert sorted(p.name for p in saved.iterdir()) == list(sets)
    model = init_model(DCDGAN_DEMO, str(ckpt))
    for name in ('000.png', '001.png'):
        expected = restore_image(model, np.ascontiguousarray(
            read_rgb(inputs / name)))
        assert expected.shape == (96, 96, 3)
        for test_set in sets:
            # G_A's output (test_cfg.direction='a2b') for that input.
            assert np.array_equal(read_rgb(saved / test_set / name),
                                  expected)
    assert sorted(p.name for p in (saved / sets[0]).iterdir()) == [
        '000.png', '001.png']  # no temporary file left


def test_save_dir_refuses_to_replace_the_inputs(
        repo_root, tmp_path, capsys, monkeypatch):
    root = tmp_path / 'data'
    write_paired_folder(root / 'test', count=1, size=32, seed=5)
    write_paired_folder(root / 'train', count=2, size=64)
    before = (root / 'test' / 'input' / '000.png').read_bytes()
    ckpt = tmp_path / 'tiny.pth'
    save_model_of(TINY, ckpt)
    # The input folder, or a folder in it (the next test would take the
    # restored images for inputs: folders are listed recursively).
    for save_dir in (root / 'test' / 'input', root / 'test' / 'input' / 'r'):
        code, log = run_inprocess(repo_root, 'tools/test.py', [
            TINY, ckpt, '--save-dir', save_dir, '--cfg-options'] +
            tiny_options(root), capsys, monkeypatch)
        assert code == 2, log[-3000:]
        assert f'(inside) the test input folder {root}/test/input' in log
        assert 'Traceback' not in log
        assert (root / 'test' / 'input' / '000.png').read_bytes() == before
        assert not (root / 'test' / 'input' / 'r').exists()
    # Next to the inputs is fine.
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, ckpt, '--save-dir', root / 'test' / 'restored',
        '--cfg-options'] + tiny_options(root), capsys, monkeypatch)
    assert code == 0 and (root / 'test' / 'restored' / '000.png').is_file()
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, '--inputs', '--save-dir', tmp_path / 'x'], capsys, monkeypatch)
    assert code == 2 and 'needs a checkpoint' in log
