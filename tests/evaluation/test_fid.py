"""FID and KID (toolbox/evaluation/fid.py, fid_metrics.py).

The statistics are checked on small random features against a direct
computation (scipy's ``sqrtm`` for the Fréchet distance, explicit sums over
pairs for KID's unbiased MMD²); the metrics' plumbing with a stand-in
feature network; the features and the FID against pytorch-fid's own code
where pytorch-fid and the Inception weights are there (skipped with the
reason otherwise)."""
import itertools
import os.path as osp

import numpy as np
import pytest
import torch
from scipy import linalg

from toolbox.evaluation import fid
from toolbox.evaluation.fid_metrics import FID, KID


def random_features(seed, n, d=6, shift=0.0, scale=1.0):
    """``n`` draws (from ``seed``) of one correlated Gaussian (fixed mixing
    matrix), shifted and scaled."""
    mix = np.random.default_rng(99).normal(size=(d, d))
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ mix * scale + shift


def direct_fid(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) -
                 2 * np.trace(covmean))


def direct_mmd2(x, y):
    """The unbiased estimator written out pair by pair."""
    d = x.shape[1]

    def k(a, b):
        return (a @ b / d + 1) ** 3
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(m), 2))
    yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(n), 2))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n))
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)


@pytest.mark.parametrize('seed', range(4))
def test_frechet_distance_matches_scipy_sqrtm(seed):
    a = random_features(seed, 40)
    b = random_features(seed + 10, 55, shift=0.3, scale=1.4)
    assert np.isclose(fid.fid_from_features(a, b), direct_fid(a, b),
                      rtol=1e-9, atol=1e-9)
    assert abs(fid.fid_from_features(a, a)) < 1e-9


def test_frechet_distance_of_one_dimension_is_the_closed_form():
    # N(m1, s1²) and N(m2, s2²): (m1 - m2)² + (s1 - s2)².
    assert np.isclose(fid.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]),
                      (1 - 3) ** 2 + (2 - 3) ** 2)


def test_polynomial_mmd2_is_the_unbiased_estimator():
    x = random_features(1, 7, d=5)
    y = random_features(2, 9, d=5, shift=0.5)
    assert np.isclose(fid.polynomial_mmd2(x, y), direct_mmd2(x, y),
                      rtol=1e-10)
    # One subset of every feature: the plain estimate.
    mean, std = fid.kernel_inception_distance(x[:7], y[:7], num_subsets=1,
                                              subset_size=100)
    assert np.isclose(mean, direct_mmd2(x[:7], y[:7])) and std == 0


def test_kid_is_unbiased_and_separates_distributions():
    same_a = random_features(3, 400)
    same_b = random_features(4, 400)  # another draw, same distribution
    a = random_features(5, 400)
    shifted = random_features(6, 400, shift=1.5)
    mean, std = fid.kernel_inception_distance(same_a, same_b, 50, 100)
    assert abs(mean) < 3 * std / np.sqrt(50) + 1e-3  # about 0
    far, _ = fid.kernel_inception_distance(a, shifted, 50, 100)
    assert far > 3 * std and far > 50 * abs(mean)
    again, _ = fid.kernel_inception_distance(a, shifted, 50, 100)
    assert again == far  # seeded subsets


class _StandIn:
    """A feature "network": the image's channel means and stds."""

    def __call__(self, images):
        flat = images.flatten(2)
        return torch.cat([flat.mean(2), flat.std(2)], 1).double().numpy()


def samples(seed, n, size=8):
    gen = torch.Generator().manual_seed(seed)
    return [dict(pred_img=torch.rand(3, size, size, generator=gen) * 255,
                 gt_img=torch.rand(3, size, size, generator=gen) * 200)
            for _ in range(n)]


@pytest.mark.parametrize('metric_class', [FID, KID])
def test_metrics_compare_predictions_with_targets(metric_class):
    from toolbox.registry import METRICS
    metric = METRICS.build(dict(type=metric_class.__name__, num_subsets=5,
                                subset_size=6) if metric_class is KID
                           else dict(type='FID'))
    metric.features = _StandIn()
    batch = samples(0, 12)
    metric.process(None, batch)
    value = metric.compute_metrics(metric.results)[metric.metric_name]
    standin = _StandIn()
    preds = np.concatenate([standin(fid_metrics_batch(s['pred_img']))
                            for s in batch])
    refs = np.concatenate([standin(fid_metrics_batch(s['gt_img']))
                           for s in batch])
    if metric_class is FID:
        assert np.isclose(value, fid.fid_from_features(preds, refs))
    else:
        assert np.isclose(value, fid.kernel_inception_distance(
            preds, refs, 5, 6)[0])
    assert metric.convention.startswith(
        f'{metric.metric_name} pytorch-fid-inception')


def fid_metrics_batch(tensor):
    return tensor.clamp(0, 255).round().unsqueeze(0)


def test_a_set_without_targets_needs_a_reference_folder():
    metric = FID()
    metric.features = _StandIn()
    with pytest.raises(KeyError, match='reference_folder'):
        metric.process(None, [dict(pred_img=torch.zeros(3, 4, 4),
                                   img_path='a.png')])


def test_missing_weights_name_the_file(monkeypatch, tmp_path):
    """Offline (the suite sets TOOLBOX_OFFLINE=1) and not in the cache:
    the message names the file expected and where to get it."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        fid.inception_weights_path()
    message = str(error.value)
    assert 'pt_inception-2015-12-05-6726825d.pth' in message
    assert str(tmp_path) in message and 'TOOLBOX_OFFLINE' in message
    with pytest.raises(FileNotFoundError, match='inception_weights='):
        fid.inception_weights_path(str(tmp_path / 'nope.pth'))


def _reference_available():
    try:
        import pytorch_fid  # noqa: F401
    except ImportError:
        return 'pytorch-fid is not installed (pip install pytorch-fid)'
    from toolbox.engine.pretrained import cached_path
    path = cached_path(fid.WEIGHTS_NAME)
    if not osp.isfile(path):
        return f'the FID Inception weights are not at {path} (no download ' \
            'in the test suite)'
    return None


@pytest.mark.skipif(_reference_available() is not None,
                    reason=str(_reference_available()))
def test_fid_matches_pytorch_fid_on_two_folders(tmp_path):
    import cv2
    from pytorch_fid.fid_score import calculate_fid_given_paths

    from tests.helpers import write_paired_folder
    write_paired_folder(tmp_path, count=12, size=64, noise=30)
    features = fid.InceptionFeatures()

    def folder_features(folder):
        out = []
        for path in sorted((tmp_path / folder).glob('*.png')):
            rgb = cv2.imread(str(path))[..., ::-1].transpose(2, 0, 1)
            out.append(features(torch.from_numpy(
                np.ascontiguousarray(rgb)).float().unsqueeze(0)))
        return np.concatenate(out)
    ours = fid.fid_from_features(folder_features('input'),
                                 folder_features('target'))
    theirs = calculate_fid_given_paths(
        [str(tmp_path / 'input'), str(tmp_path / 'target')], batch_size=4,
        device='cpu', dims=2048, num_workers=0)
    assert np.isclose(ours, theirs, rtol=1e-3)


def test_iqa_scores_two_folders_with_fid_and_kid(repo_root, tmp_path,
                                                 capsys, monkeypatch):
    """tools/iqa.py --metrics psnr fid kid: per-image PSNR, and the two
    folders' FID/KID (the stand-in network; the statistics as above)."""
    import json

    from tests.helpers import write_paired_folder
    from tests.tools.test_reliability import run_inprocess
    write_paired_folder(tmp_path, count=6, size=16, noise=30)
    monkeypatch.setattr(fid.InceptionFeatures, '__call__',
                        lambda self, images: _StandIn()(images))
    out = tmp_path / 'r.json'
    code, log = run_inprocess(repo_root, 'tools/iqa.py', [
        tmp_path / 'input', '--ref', tmp_path / 'target', '--metrics',
        'psnr', 'fid', 'kid', '--out', out], capsys, monkeypatch)
    assert code == 0, log[-2000:]
    record = json.loads(out.read_text())
    features = fid.InceptionFeatures()
    ours = fid.folder_features(str(tmp_path / 'input'), features, False)
    ref = fid.folder_features(str(tmp_path / 'target'), features, False)
    assert np.isclose(record['metrics']['FID'],
                      fid.fid_from_features(ours, ref))
    assert np.isclose(record['metrics']['KID'],
                      fid.kernel_inception_distance(ours, ref)[0])
    assert 'PSNR' in record['metrics'] and 'FID (whole folder' in log


def test_iqa_without_the_weights_names_the_file(repo_root, tmp_path, capsys,
                                                monkeypatch):
    from tests.helpers import write_paired_folder
    from tests.tools.test_reliability import run_inprocess
    write_paired_folder(tmp_path, count=2, size=16)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'hub'))
    code, log = run_inprocess(repo_root, 'tools/iqa.py', [
        tmp_path / 'input', '--ref', tmp_path / 'target', '--metrics',
        'fid'], capsys, monkeypatch)
    assert code == 2
    assert 'pt_inception-2015-12-05-6726825d.pth' in log
    assert 'Traceback' not in log
