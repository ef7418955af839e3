import json
import math
import subprocess
import sys

from tests.helpers import write_paired_folder
from toolbox.evaluation.metrics import BRISQUE, PSNR


def test_iqa_on_a_folder(tmp_path, repo_root):
    root = write_paired_folder(tmp_path, count=20, size=96)
    out = tmp_path / 'scores.json'
    done = subprocess.run(
        [sys.executable, 'tools/iqa.py', str(root / 'input'), '--ref',
         str(root / 'target'), '--metrics', 'psnr', 'niqe', 'piqe', 'brisque',
         '--out', str(out)], cwd=repo_root, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().split('\n')
    assert lines[0].split() == ['image', 'PSNR', 'NIQE', 'PIQE', 'BRISQUE']
    assert lines[-1].startswith('mean')
    record = json.loads(out.read_text())
    assert len(record['images']) == 20
    psnrs = [row['psnr'] for row in record['images'].values()]
    assert abs(record['mean']['psnr'] - sum(psnrs) / 20) < 1e-9


def test_missing_reference_partner_is_named(tmp_path, repo_root):
    root = write_paired_folder(tmp_path, count=2, size=32)
    (root / 'target' / '001.png').unlink()
    done = subprocess.run(
        [sys.executable, 'tools/iqa.py', str(root / 'input'), '--ref',
         str(root / 'target'), '--metrics', 'psnr'], cwd=repo_root,
        capture_output=True, text=True)
    assert done.returncode != 0 and '001.png' in done.stderr


def test_metric_classes_follow_the_sample_contract():
    import torch
    pred = torch.full((3, 32, 32), 100.0)
    psnr = PSNR()
    psnr.process(None, [dict(pred_img=pred, gt_img=pred + 10)])
    expected = 20 * math.log10(255 / 10)
    assert abs(psnr.compute_metrics(psnr.results)['PSNR'] - expected) < 1e-9
    brisque = BRISQUE()
    brisque.process(None, [dict(pred_img=torch.rand(3, 64, 64) * 255)])
    assert set(brisque.compute_metrics(brisque.results)) == {'BRISQUE'}
