"""tools/iqa.py, folder scoring and the MMEngine metric classes."""
import json
import math

import cv2
import numpy as np
import pytest
import torch

from tests.helpers import run_script, write_paired_folder
from toolbox.evaluation import functional as F
from toolbox.evaluation.folder_scoring import score_folder
from toolbox.evaluation.metrics import BRISQUE, NIQE, PIQE, PSNR, SSIM
from toolbox.registry import METRICS


def test_iqa_on_a_folder(tmp_path, repo_root):
    root = write_paired_folder(tmp_path, count=20, size=96)
    out = tmp_path / 'scores.json'
    done = run_script(
        repo_root, 'tools/iqa.py', str(root / 'input'), '--ref',
        str(root / 'target'), '--metrics', 'psnr', 'niqe', 'piqe', 'brisque',
        '--out', str(out))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().split('\n')
    assert lines[0].split() == ['image', 'PSNR', 'NIQE', 'PIQE', 'BRISQUE']
    assert lines[-1].startswith('mean')
    record = json.loads(out.read_text())
    assert len(record['images']) == 20
    psnrs = [row['psnr'] for row in record['images'].values()]
    assert abs(record['mean']['psnr'] - sum(psnrs) / 20) < 1e-9


def test_folder_scores_are_the_functions_on_rgb_images(tmp_path):
    root = write_paired_folder(tmp_path, count=2, size=96)
    scores = score_folder(str(root / 'input'), ['piqe', 'ssim'],
                          str(root / 'target'), progress=False)
    for key, row in scores.items():
        # helpers write RGB images through OpenCV (stored BGR on disk)
        img = cv2.imread(str(root / 'input' / f'{key}.png'))[..., ::-1]
        ref = cv2.imread(str(root / 'target' / f'{key}.png'))[..., ::-1]
        assert row['ssim'] == pytest.approx(F.ssim(img, ref))
        assert row['piqe'] == pytest.approx(F.piqe(img)), (
            'folder scoring did not see the RGB image: check the channel '
            'order of toolbox.datasets.transforms.loading.read_image')


def test_missing_reference_partner_is_named(tmp_path):
    root = write_paired_folder(tmp_path, count=2, size=32)
    (root / 'target' / '001.png').unlink()
    with pytest.raises(FileNotFoundError, match='001.png'):
        score_folder(str(root / 'input'), ['psnr'], str(root / 'target'),
                     progress=False)
    with pytest.raises(ValueError, match='--ref'):
        score_folder(str(root / 'input'), ['ssim'], progress=False)
    # a partner of another size is named too
    cv2.imwrite(str(root / 'target' / '001.png'), np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match='psnr of .*001.png.*same shape'):
        score_folder(str(root / 'input'), ['psnr'], str(root / 'target'),
                     progress=False)


def test_full_reference_metric_classes_follow_the_sample_contract():
    pred = torch.full((3, 32, 32), 100.0)
    psnr = PSNR()
    psnr.process(None, [dict(pred_img=pred, gt_img=pred + 10)])
    expected = 20 * math.log10(255 / 10)
    assert psnr.compute_metrics(psnr.results) == {'PSNR': pytest.approx(
        expected, abs=1e-9)}
    # pred is rounded to 8 bits by default, not with round_to_uint8=False
    ssim = SSIM(convert_to='y', crop_border=2)
    noisy = pred + torch.rand(3, 32, 32) * 0.4
    ssim.process(None, [dict(pred_img=noisy, gt_img=pred)])
    assert ssim.results == [1.0]
    with pytest.raises(KeyError, match='gt_img'):
        psnr.process(None, [dict(pred_img=pred, img_path='a.png')])
    with pytest.raises(ValueError, match='convert_to'):
        PSNR(convert_to='lab')


def test_no_reference_metric_classes_pass_their_options():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (100, 110, 3)).astype(np.float32)
    sample = dict(pred_img=torch.from_numpy(img).permute(2, 0, 1))
    for cls, fn in ((BRISQUE, F.brisque), (NIQE, F.niqe), (PIQE, F.piqe)):
        metric = cls(crop_border=2, convert_to='y')
        metric.process(None, [sample, sample])
        expected = fn(img, crop_border=2, convert_to='y')
        assert metric.compute_metrics(metric.results) == {
            cls.__name__: pytest.approx(expected)}
        assert expected != pytest.approx(fn(img))  # the options did matter


def test_metrics_build_from_the_registry_with_prefix():
    from mmengine.evaluator import Evaluator
    evaluator = Evaluator([
        METRICS.build(dict(type='PSNR')),
        METRICS.build(dict(type='PIQE', prefix='real'))
    ])
    pred = torch.full((3, 32, 32), 50.0)
    evaluator.process([dict(pred_img=pred, gt_img=pred + 5)])
    result = evaluator.evaluate(1)
    assert set(result) == {'PSNR', 'real/PIQE'}
    assert result['real/PIQE'] == 100.0  # uniform image


def test_iqa_record_is_a_make_table_row(tmp_path, repo_root):
    from toolbox.evaluation.results import load_results
    from toolbox.evaluation.tables import render_table
    root = write_paired_folder(tmp_path, count=2, size=32)
    out = tmp_path / 'input.json'
    done = run_script(
        repo_root, 'tools/iqa.py', str(root / 'input'), '--ref',
        str(root / 'target'), '--metrics', 'psnr', 'ssim', '--out', str(out),
        '--name', 'degraded input')
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    assert record['metrics']['PSNR'] == record['mean']['psnr']
    table = render_table(load_results([str(out)]), 'md')
    assert 'degraded input' in table and 'PSNR ↑' in table
