"""Metrics against independent values: scikit-image, hand computations and
published MATLAB outputs."""
import numpy as np
import pytest
from skimage import data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from toolbox.evaluation import functional as F
from toolbox.evaluation.matlab import imresize, rgb2gray
from toolbox.evaluation import no_reference
from toolbox.evaluation.no_reference import (brisque, brisque_from_features,
                                             ggd_fit, niqe, piqe)


def aggd_fit(vecs):
    """MATLAB's ``estimateaggdparam`` for each row of ``vecs``: shape α
    (a grid value) and the left and right standard deviations, as the
    BRISQUE and NIQE features fit them."""
    index, left, right = no_reference._aggd_fit_index(vecs)
    return no_reference._GAM[index], left, right


@pytest.fixture(scope='module')
def pair():
    rng = np.random.default_rng(0)
    ref = data.astronaut()[100:228, 150:278]
    img = np.clip(ref + rng.normal(0, 12, ref.shape), 0, 255).astype(np.uint8)
    return img, ref


def test_psnr_ssim_match_scikit_image(pair):
    img, ref = pair
    assert F.psnr(img, ref) == pytest.approx(
        peak_signal_noise_ratio(ref, img, data_range=255), abs=1e-10)
    expected = structural_similarity(
        ref, img, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False, data_range=255, channel_axis=2)
    assert F.ssim(img, ref) == pytest.approx(expected, abs=1e-10)
    assert F.psnr(ref, ref) == float('inf')
    assert F.ssim(ref, ref) == pytest.approx(1.0)


def test_psnr_hand_computed_and_crop_border():
    ref = np.zeros((6, 6, 3), np.uint8)
    img = ref.copy()
    img[0, 0, 0] = 10  # one wrong value of 108: MSE = 100/108
    assert F.psnr(img, ref) == pytest.approx(
        10 * np.log10(255**2 / (100 / 108)))
    assert F.psnr(img, ref, crop_border=1) == float('inf')


def test_colour_shift_measures_the_cast_not_the_structure():
    rng = np.random.default_rng(0)
    img = rng.uniform(20, 200, (16, 16, 3))
    assert F.colour_shift(img, img) == 0
    # Shuffled pixels: other structure, same colours.
    shuffled = rng.permutation(img.reshape(-1, 3)).reshape(img.shape)
    assert F.colour_shift(shuffled, img) < 1e-9
    assert F.psnr(shuffled, img) < 15
    # A cast of +6 red, -3 blue: (6 + 0 + 3) / 3 grey levels.
    cast = img + np.array([6.0, 0.0, -3.0])
    assert abs(F.colour_shift(cast, img) - 3.0) < 1e-9


def test_colour_shift_metric_key():
    import torch

    from toolbox.evaluation import ColourShift
    metric = ColourShift()
    pred = torch.full((3, 4, 4), 110.0)
    gt = torch.full((3, 4, 4), 100.0)
    metric.process(None, [dict(pred_img=pred, gt_img=gt)])
    assert metric.compute_metrics(metric.results) == {'dRGB': 10.0}


def test_y_and_gray_conversions():
    white = np.full((1, 1, 3), 255.0)
    assert F.rgb_to_y(white)[0, 0, 0] == pytest.approx(235.0)  # studio swing
    assert F.rgb_to_y(np.zeros((1, 1, 3)))[0, 0, 0] == pytest.approx(16.0)
    # chroma-only differences vanish on Y when it is rounded
    a = np.array([[[100, 50, 30]]], float)
    b = a + np.array([[[0.2, -0.1, 0.0]]])
    assert F.psnr(a, b, convert_to='y', round_y=True) == float('inf')
    assert F.psnr(a, b, convert_to='y') < float('inf')
    assert rgb2gray(np.array([[[255, 255, 255]]]))[0, 0] == 255
    with pytest.raises(ValueError, match='convert_to'):
        F.psnr(a, a, convert_to='lab')


def test_imresize_reproduces_linear_ramp_and_constants():
    ramp = np.tile(np.arange(1, 33, dtype=float), (8, 1))
    out = imresize(ramp, 0.5)
    assert out.shape == (4, 16)
    # bicubic keeps linear functions: output j samples u = 2j - 0.5
    assert np.allclose(out[:, 3:12], 2 * np.arange(4, 13) - 0.5)
    assert np.allclose(imresize(np.full((9, 7), 42.0), 0.5), 42.0)


def test_distribution_fits_recover_known_shapes():
    rng = np.random.default_rng(1)
    alpha, std = ggd_fit(rng.normal(0, 2.0, 200_000))
    assert alpha == pytest.approx(2.0, abs=0.05)
    assert std == pytest.approx(2.0, rel=0.01)
    alpha, _ = ggd_fit(rng.laplace(0, 1.0, 200_000))
    assert alpha == pytest.approx(1.0, abs=0.05)
    # an AGGD puts mass beta_l / (beta_l + beta_r) on the left side
    skewed = np.where(rng.random(200_000) < 0.25,
                      -np.abs(rng.normal(0, 1, 200_000)),
                      np.abs(rng.normal(0, 3, 200_000)))
    alpha, left, right = aggd_fit(skewed)
    assert alpha[0] == pytest.approx(2.0, abs=0.1)
    assert left[0] == pytest.approx(1.0, rel=0.02)
    assert right[0] == pytest.approx(3.0, rel=0.02)


# Features and scores computed by LIVE's MATLAB release for two images, as
# published in pybrisque 1.0's test suite (brisque/test_brisque.py), whose
# authors took them from the MATLAB code (dsoellinger's
# blind_image_quality_toolbox). Expected MATLAB scores: 52.521 and 123.74.
MATLAB_FEATURES = [
    [2.187000, 0.305119, 0.731000, 0.046159, 0.078954, 0.124348, 0.735000,
     0.032419, 0.086307, 0.118338, 0.733000, -0.020298, 0.112611, 0.092477,
     0.730000, -0.022557, 0.114732, 0.092231, 2.103000, 0.360946, 0.731000,
     -0.055774, 0.183185, 0.116578, 0.734000, -0.046589, 0.179101, 0.123198,
     0.730000, -0.037948, 0.168773, 0.123828, 0.725000, -0.033253, 0.165621,
     0.126170],
    [0.4610000, 0.1652788, 0.3410000, -0.1192659, 0.2319912, 0.0417499,
     0.3370000, -0.1010206, 0.2127568, 0.0502738, 0.3410000, -0.1070136,
     0.1971343, 0.0380880, 0.3390000, -0.0978340, 0.1865236, 0.0413579,
     0.4860000, 0.1888571, 0.3480000, -0.0518405, 0.1354198, 0.0621431,
     0.3500000, -0.0487347, 0.1329318, 0.0642503, 0.3420000, -0.0046308,
     0.0917469, 0.0853537, 0.3410000, -0.0035089, 0.0918414, 0.0869626],
]


@pytest.mark.parametrize('features,matlab_score',
                         zip(MATLAB_FEATURES, [52.521, 123.74]))
def test_brisque_svr_matches_matlab(features, matlab_score):
    score = brisque_from_features(np.array(features))
    assert score == pytest.approx(matlab_score, abs=0.006)


def test_no_reference_scores_rank_noise_as_worse():
    rng = np.random.default_rng(0)
    clean = data.astronaut()[:256, :256]
    noisy = np.clip(clean + rng.normal(0, 25, clean.shape), 0,
                    255).astype(np.uint8)
    for metric in (brisque, niqe, piqe):
        assert metric(noisy) > metric(clean), metric.__name__
    assert 0 <= piqe(clean) <= 100
    # grayscale input equals its RGB replica
    gray = rgb2gray(clean).astype(np.uint8)
    assert niqe(gray) == pytest.approx(niqe(np.dstack([gray] * 3)))
