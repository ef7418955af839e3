"""The two SSIM conventions against scikit-image, and the conventions every
metric reports (``metric.convention``).

scikit-image is the oracle only: ``functional.ssim(variant='skimage')`` is
the toolbox's own numpy/OpenCV code.
"""
import cv2
import numpy as np
import pytest
import torch
from skimage import data
from skimage.metrics import structural_similarity

from toolbox.evaluation import functional as F
from toolbox.evaluation.metrics import (NIQE, PSNR, SSIM, ColourShift,
                                        channels_label)
from toolbox.registry import METRICS

PHOTOS = ('astronaut', 'chelsea', 'coffee')


def degrade(img, seed):
    """Blur (σ 1.5) plus noise (σ 12), as uint8: a restoration test pair."""
    rng = np.random.default_rng(seed)
    blurred = cv2.GaussianBlur(img, (0, 0), 1.5).astype(np.float64)
    return np.clip(np.round(blurred + rng.normal(0, 12, img.shape)), 0,
                   255).astype(np.uint8)


@pytest.fixture(scope='module', params=PHOTOS)
def photo_pair(request):
    ref = getattr(data, request.param)()
    return degrade(ref, PHOTOS.index(request.param)), ref


def test_skimage_variant_matches_structural_similarity_rgb(photo_pair):
    img, ref = photo_pair
    # OP-Attention: compare_ssim(output, target, data_range=1,
    # multichannel=True) on [0, 1] images; here the same on uint8 values.
    expected = structural_similarity(ref, img, channel_axis=-1)
    assert expected == pytest.approx(structural_similarity(
        ref / 255.0, img / 255.0, data_range=1, channel_axis=-1), abs=1e-12)
    got = F.ssim(img, ref, variant='skimage')
    assert got == pytest.approx(expected, abs=1e-6)
    # The conventions differ by far more than that tolerance on these
    # pairs, so the test tells them apart.
    assert abs(F.ssim(img, ref) - got) > 0.01


def test_skimage_variant_matches_structural_similarity_grey(photo_pair):
    img, ref = photo_pair
    img_grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    ref_grey = cv2.cvtColor(ref, cv2.COLOR_RGB2GRAY)
    expected = structural_similarity(ref_grey, img_grey)
    assert F.ssim(img_grey, ref_grey, variant='skimage') == pytest.approx(
        expected, abs=1e-6)
    assert F.ssim(img_grey[..., None], ref_grey[..., None],
                  variant='skimage') == pytest.approx(expected, abs=1e-6)


def test_skimage_variant_on_unrounded_predictions_and_other_ranges(
        photo_pair):
    img, ref = photo_pair
    rng = np.random.default_rng(3)
    pred = np.clip(img + rng.uniform(-0.5, 0.5, img.shape), 0, 255)  # float
    # OP-Attention scores the network's float output in [0, 1].
    expected = structural_similarity(ref / 255.0, pred / 255.0,
                                     data_range=1, channel_axis=-1)
    assert F.ssim(pred, ref, variant='skimage') == pytest.approx(
        expected, abs=1e-6)
    # SPANet: [0, 1] floats and no data_range, which old scikit-image took
    # as its float range 2; on the 8-bit scale that is 510.
    expected = structural_similarity(ref / 255.0, pred / 255.0,
                                     data_range=2, channel_axis=-1)
    got = F.ssim(pred, ref, variant='skimage', data_range=510)
    assert got == pytest.approx(expected, abs=1e-6)
    assert got > F.ssim(pred, ref, variant='skimage') + 0.01


def test_skimage_variant_with_crop_and_y(photo_pair):
    img, ref = photo_pair
    c = 4
    y_img = F.rgb_to_y(img.astype(np.float64))[c:-c, c:-c, 0]
    y_ref = F.rgb_to_y(ref.astype(np.float64))[c:-c, c:-c, 0]
    expected = structural_similarity(y_ref, y_img, data_range=255)
    assert F.ssim(img, ref, crop_border=c, convert_to='y',
                  variant='skimage') == pytest.approx(expected, abs=1e-6)


def test_matlab_variant_is_still_the_default():
    img, ref = degrade(data.astronaut()[:96, :96], 0), \
        data.astronaut()[:96, :96]
    expected = structural_similarity(
        ref, img, gaussian_weights=True, sigma=1.5,
        use_sample_covariance=False, data_range=255, channel_axis=2)
    assert F.ssim(img, ref) == pytest.approx(expected, abs=1e-10)
    assert F.ssim(img, ref, variant='matlab') == F.ssim(img, ref)


def test_window_sizes_and_bad_arguments():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 255, (2, 7, 7, 3))
    assert F.ssim(a, b, variant='skimage') == pytest.approx(
        structural_similarity(b, a, data_range=255, channel_axis=-1),
        abs=1e-6)
    with pytest.raises(ValueError, match='at least 7×7'):
        F.ssim(a[:6], b[:6], variant='skimage')
    with pytest.raises(ValueError, match='at least 11×11'):
        F.ssim(a, b)
    with pytest.raises(ValueError, match='variant'):
        F.ssim(a, b, variant='gaussian')
    with pytest.raises(ValueError, match='data_range'):
        F.ssim(a, b, variant='skimage', data_range=0)


def sample(pred, gt):
    to_tensor = lambda a: torch.from_numpy(  # noqa: E731
        np.ascontiguousarray(a.transpose(2, 0, 1))).float()
    return dict(pred_img=to_tensor(pred), gt_img=to_tensor(gt))


def test_ssim_metric_computes_the_chosen_variant():
    ref = data.chelsea()[:64, :64]
    # Off the 8-bit grid, and exactly representable in the float32 tensor.
    img = (degrade(ref, 1) + np.float32(0.3)).astype(np.float64)
    samples = [sample(img, ref)]
    for kwargs, expected in [
        (dict(), F.ssim(np.round(img), ref)),
        (dict(variant='skimage'), F.ssim(np.round(img), ref,
                                         variant='skimage')),
        (dict(variant='skimage', round_to_uint8=False),
         F.ssim(img, ref, variant='skimage')),
        (dict(variant='skimage', data_range=510, round_to_uint8=False),
         F.ssim(img, ref, variant='skimage', data_range=510)),
    ]:
        metric = METRICS.build(dict(type='SSIM', **kwargs))
        metric.process(None, samples)
        assert metric.compute_metrics(metric.results)['SSIM'] == \
            pytest.approx(expected, abs=1e-12), kwargs
    with pytest.raises(ValueError, match='variant'):
        SSIM(variant='uniform')
    with pytest.raises(ValueError, match='data_range'):
        SSIM(data_range=-1)
    assert SSIM(4).crop_border == 4  # positional arguments as before


@pytest.mark.parametrize('metric, convention', [
    (SSIM(), 'SSIM matlab-gaussian11 RGB crop0'),
    (SSIM(variant='skimage'), 'SSIM skimage-uniform7 RGB crop0'),
    (SSIM(variant='skimage', round_to_uint8=False),
     'SSIM skimage-uniform7 RGB crop0 pred-unrounded'),
    (SSIM(variant='skimage', data_range=510, round_to_uint8=False),
     'SSIM skimage-uniform7 L510 RGB crop0 pred-unrounded'),
    (SSIM(convert_to='y', round_y=True, crop_border=4),
     'SSIM matlab-gaussian11 Y-rounded crop4'),
    (PSNR(), 'PSNR RGB crop0'),
    (PSNR(convert_to='y', crop_border=2), 'PSNR Y crop2'),
    (PSNR(convert_to='gray'), 'PSNR gray crop0'),
    (ColourShift(), 'dRGB RGB crop0'),
    (NIQE(), 'NIQE gray crop0'),
    (NIQE(convert_to='y'), 'NIQE Y-rounded crop0'),
], ids=lambda x: x if isinstance(x, str) else None)
def test_metric_conventions(metric, convention):
    assert metric.convention == convention


def test_channels_label():
    assert channels_label(None, False) == 'RGB'
    assert channels_label(None, True, 'gray') == 'gray'
    assert channels_label('y', False) == 'Y'
    assert channels_label('y', True) == 'Y-rounded'
    assert channels_label('gray', False) == 'gray'
