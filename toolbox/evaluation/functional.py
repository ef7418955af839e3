"""Image-quality metrics as pure numpy functions on 8-bit RGB images.

Accepted inputs (every function): ``H×W×3`` **RGB** arrays (channel-last;
BGR from ``cv2.imread`` must be flipped first) or ``H×W`` / ``H×W×1``
grayscale, as uint8 or any float/int dtype holding 8-bit values in
``[0, 255]``. Full-reference metrics need ``img`` and ``ref`` of the same
shape. Anything else (``3×H×W`` tensors, 4 channels) is an error.

``convert_to`` (PSNR/SSIM):

* ``None``: all three RGB channels;
* ``'y'``: the Y channel of MATLAB's ``rgb2ycbcr`` (BT.601, studio swing:
  ``16 + (65.481 R + 128.553 G + 24.966 B) / 255``), **not rounded** by
  default; ``round_y=True`` rounds it to integers as MATLAB does for uint8
  input (then chroma-only differences vanish: PSNR-Y = inf);
* ``'gray'``: MATLAB's ``rgb2gray`` (0.298936 R + 0.587043 G + 0.114021 B,
  always rounded, as MATLAB does for uint8 images).

No-reference scores :func:`brisque`, :func:`niqe` and :func:`piqe` (the
algorithms live in :mod:`toolbox.evaluation.no_reference`) take the same
``crop_border``; their ``convert_to`` defaults to ``None``, the releases' own
``rgb2gray``; ``'y'`` scores the Y channel instead, **rounded** by default
(``round_y=True``: MATLAB's uint8 ``rgb2ycbcr``, BasicSR's NIQE convention).
"""
from typing import Optional

import cv2
import numpy as np

from toolbox.evaluation.matlab import (RGB2GRAY, apply_coefficients,
                                       matlab_round)
from toolbox.evaluation import no_reference

CONVERSIONS = (None, 'y', 'gray')
# MATLAB's rgb2ycbcr divides its matrix by 255 for uint8 input and applies
# it with imapplymatrix; the same order of operations is used here.
_Y_COEFFS = np.array([65.481, 128.553, 24.966]) / 255.0


def _as_float_image(img: np.ndarray, name: str) -> np.ndarray:
    img = np.asarray(img)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[2] not in (1, 3):
        raise ValueError(f'{name} must be an H×W×3 RGB (or H×W gray) array, '
                         f'got shape {img.shape}')
    return img.astype(np.float64)


def rgb_to_y(img: np.ndarray, round_y: bool = False) -> np.ndarray:
    """Y of MATLAB's ``rgb2ycbcr`` for ``[0, 255]`` RGB, as ``H×W×1``;
    ``round_y`` rounds half away from zero, like MATLAB's uint8 output."""
    y = apply_coefficients(img, _Y_COEFFS, 16.0)
    if round_y:
        y = matlab_round(y)
    return y[..., None]


def rgb_to_gray(img: np.ndarray) -> np.ndarray:
    """MATLAB's ``rgb2gray`` of a uint8-valued RGB image, as ``H×W×1``."""
    return matlab_round(apply_coefficients(img, RGB2GRAY))[..., None]


def convert_color(img: np.ndarray, convert_to: Optional[str],
                  round_y: bool = False) -> np.ndarray:
    """Apply a ``convert_to`` choice (see module docstring) to an
    ``H×W×C`` float array; single-channel images pass through."""
    if convert_to not in CONVERSIONS:
        raise ValueError(
            f'convert_to must be one of {CONVERSIONS}, got {convert_to!r}')
    if convert_to is None or img.shape[2] == 1:
        return img
    if convert_to == 'y':
        return rgb_to_y(img, round_y)
    return rgb_to_gray(img)


def _prepare(img, ref, crop_border, convert_to, round_y):
    img = _as_float_image(img, 'img')
    ref = _as_float_image(ref, 'ref')
    if img.shape != ref.shape:
        raise ValueError(
            f'img {img.shape} and ref {ref.shape} must have the same shape')
    crop_border = int(crop_border)
    if crop_border < 0 or 2 * crop_border >= min(img.shape[:2]):
        raise ValueError(f'crop_border={crop_border} leaves nothing of a '
                         f'{img.shape[0]}×{img.shape[1]} image')
    img = convert_color(img, convert_to, round_y)
    ref = convert_color(ref, convert_to, round_y)
    if crop_border:
        c = crop_border
        img, ref = img[c:-c, c:-c], ref[c:-c, c:-c]
    return img, ref


def psnr(img: np.ndarray, ref: np.ndarray, crop_border: int = 0,
         convert_to: Optional[str] = None, round_y: bool = False) -> float:
    """Peak signal-to-noise ratio in dB (peak 255); ``inf`` if identical.

    The MSE is taken over all pixels and channels together (as MATLAB's
    ``psnr`` and scikit-image do), not averaged per channel.

    Args:
        img, ref: RGB images in ``[0, 255]`` (module docstring).
        crop_border: pixels removed on each side before measuring.
        convert_to: ``None``, ``'y'`` or ``'gray'`` (module docstring).
        round_y: round Y to integers (MATLAB on uint8 input).
    """
    img, ref = _prepare(img, ref, crop_border, convert_to, round_y)
    mse = np.mean((img - ref)**2)
    if mse == 0:
        return float('inf')
    return float(10.0 * np.log10(255.0**2 / mse))


def colour_shift(img: np.ndarray, ref: np.ndarray, crop_border: int = 0,
                 convert_to: Optional[str] = None,
                 round_y: bool = False) -> float:
    """Global colour cast in grey levels: the mean over R, G, B of
    ``|mean(img_c) − mean(ref_c)|``. Zero for any rearrangement of the
    pixels, so it isolates the tone and colour errors that an unpaired
    translation makes (PSNR mixes them with structure).

    Args: as :func:`psnr` (``convert_to`` measures one channel).
    """
    img, ref = _prepare(img, ref, crop_border, convert_to, round_y)
    axes = tuple(range(img.ndim - 1)) if img.ndim == 3 else None
    return float(np.mean(np.abs(img.mean(axis=axes) - ref.mean(axis=axes))))


#: ``variant`` of :func:`ssim`: Wang et al.'s ``ssim.m`` (the default) or
#: scikit-image's ``structural_similarity`` with its defaults.
SSIM_VARIANTS = ('matlab', 'skimage')
#: Side of the sliding window of each variant.
SSIM_WINDOW = {'matlab': 11, 'skimage': 7}


def _ssim_map(x: np.ndarray, y: np.ndarray, mean_filter, cov_norm: float,
              data_range: float) -> np.ndarray:
    """The SSIM map of one channel from a window-mean filter that returns
    the 'valid' part only (windows lying wholly inside the image)."""
    c1, c2 = (0.01 * data_range)**2, (0.03 * data_range)**2
    mu_x, mu_y = mean_filter(x), mean_filter(y)
    sigma_x = cov_norm * (mean_filter(x * x) - mu_x**2)
    sigma_y = cov_norm * (mean_filter(y * y) - mu_y**2)
    sigma_xy = cov_norm * (mean_filter(x * y) - mu_x * mu_y)
    return ((2 * mu_x * mu_y + c1) * (2 * sigma_xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (sigma_x + sigma_y + c2))


def _gaussian11_valid(a: np.ndarray) -> np.ndarray:
    kernel = cv2.getGaussianKernel(11, 1.5, cv2.CV_64F)
    out = cv2.sepFilter2D(a, cv2.CV_64F, kernel, kernel,
                          borderType=cv2.BORDER_REFLECT)
    return out[5:-5, 5:-5]


def _uniform7_valid(a: np.ndarray) -> np.ndarray:
    # The border rows are dropped, so the padding mode never matters:
    # every value kept is the plain mean of a 7×7 block of the image.
    out = cv2.boxFilter(a, cv2.CV_64F, (7, 7), normalize=True,
                        borderType=cv2.BORDER_REFLECT)
    return out[3:-3, 3:-3]


def _ssim_channel(x: np.ndarray, y: np.ndarray, variant: str = 'matlab',
                  data_range: float = 255.0) -> float:
    """SSIM of one channel, the mean of the map over the valid windows.

    ``'matlab'``: Wang et al.'s ``ssim.m``, 11×11 Gaussian (σ = 1.5),
    population (co)variances. ``'skimage'``: scikit-image's
    ``structural_similarity`` defaults, 7×7 uniform window, sample
    (co)variances (× 49/48). Both K1 = 0.01, K2 = 0.03, ``L = data_range``.
    """
    if variant == 'matlab':
        return float(_ssim_map(x, y, _gaussian11_valid, 1.0,
                               data_range).mean())
    n = SSIM_WINDOW['skimage']**2
    return float(_ssim_map(x, y, _uniform7_valid, n / (n - 1),
                           data_range).mean())


def ssim(img: np.ndarray, ref: np.ndarray, crop_border: int = 0,
         convert_to: Optional[str] = None, round_y: bool = False,
         variant: str = 'matlab', data_range: float = 255.0) -> float:
    """Structural similarity, in one of two published conventions.

    ``variant='matlab'`` (default): Wang et al.'s reference ``ssim.m``:
    11×11 Gaussian window (σ = 1.5, normalised), population variances and
    covariance, K1 = 0.01, K2 = 0.03, L = 255, the mean of the SSIM map
    over the 'valid' windows (those wholly inside the image). No automatic
    downsampling (the 2009 ``ssim.m`` shrinks images larger than 256 px;
    restoration papers and this toolbox do not).

    ``variant='skimage'``: scikit-image's ``structural_similarity`` with
    its defaults, as OP-Attention's and SPANet's test scripts call it
    (``compare_ssim(a, b, multichannel=True)`` then, ``channel_axis=-1``
    today): 7×7 **uniform** window (plain block means, no Gaussian
    weights), **sample** variances and covariance (``use_sample_covariance
    =True``: the window's sums divided by 48, not 49), K1 = 0.01,
    K2 = 0.03, ``L = data_range``; scikit-image filters the whole image and
    crops ``(7 − 1) // 2 = 3`` pixels from each side of the map before the
    mean, which is the mean over the valid windows computed here.
    scikit-image's ``data_range`` is the span of the values it is given:
    1 for images in [0, 1], 255 for uint8, and 2 (its dtype range of
    floats, [−1, 1]) when a float image is passed without ``data_range``;
    here images are on the 8-bit scale, so those are ``data_range`` 255,
    255 and 510 (SSIM does not change when the images and L are scaled
    together).

    Both: for RGB (``convert_to=None``) the mean over the three channels of
    the per-channel SSIM (as scikit-image's multichannel mode does), the
    channel SSIM of a single-channel image otherwise; float64 arithmetic.
    Images must be at least 11×11 (``'matlab'``) or 7×7 (``'skimage'``)
    after cropping.

    Args:
        img, ref, crop_border, convert_to, round_y: as :func:`psnr`.
        variant: ``'matlab'`` or ``'skimage'``.
        data_range: L of ``C1 = (K1·L)²``, ``C2 = (K2·L)²`` on the images'
            8-bit scale (default 255).
    """
    if variant not in SSIM_VARIANTS:
        raise ValueError(f'SSIM variant must be one of {SSIM_VARIANTS}, got '
                         f'{variant!r}')
    if not data_range > 0:
        raise ValueError(f'SSIM data_range must be > 0, got {data_range!r}')
    img, ref = _prepare(img, ref, crop_border, convert_to, round_y)
    window = SSIM_WINDOW[variant]
    if min(img.shape[:2]) < window:
        raise ValueError(f'SSIM ({variant}) needs images of at least '
                         f'{window}×{window}, got {img.shape[:2]}')
    return float(
        np.mean([
            _ssim_channel(np.ascontiguousarray(img[..., c]),
                          np.ascontiguousarray(ref[..., c]), variant,
                          float(data_range))
            for c in range(img.shape[2])
        ]))


def _prepare_single(img, crop_border, convert_to, round_y):
    """Crop and colour-convert one image for a no-reference score; RGB
    stays RGB (``convert_to=None``/``'gray'``: the metric's rgb2gray)."""
    arr = np.asarray(img)
    if convert_to not in CONVERSIONS:
        raise ValueError(
            f'convert_to must be one of {CONVERSIONS}, got {convert_to!r}')
    if crop_border:
        c = int(crop_border)
        if c < 0 or 2 * c >= min(arr.shape[:2]):
            raise ValueError(f'crop_border={c} leaves nothing of a '
                             f'{arr.shape[0]}×{arr.shape[1]} image')
        arr = arr[c:-c, c:-c]
    if convert_to == 'y' and arr.ndim == 3 and arr.shape[2] == 3:
        arr = rgb_to_y(_as_float_image(arr, 'img'), round_y)[..., 0]
    return arr


def brisque(img: np.ndarray, crop_border: int = 0,
            convert_to: Optional[str] = None, round_y: bool = True,
            text_rounding: bool = True) -> float:
    """BRISQUE of LIVE's release (lower is better); see
    :func:`no_reference.brisque`. Options as in the module docstring."""
    return no_reference.brisque(
        _prepare_single(img, crop_border, convert_to, round_y),
        text_rounding=text_rounding)


def niqe(img: np.ndarray, crop_border: int = 0,
         convert_to: Optional[str] = None, round_y: bool = True,
         block_size: int = 96) -> float:
    """NIQE of LIVE's release (lower is better); see
    :func:`no_reference.niqe`. Options as in the module docstring."""
    return no_reference.niqe(
        _prepare_single(img, crop_border, convert_to, round_y),
        block_size=block_size)


def piqe(img: np.ndarray, crop_border: int = 0,
         convert_to: Optional[str] = None, round_y: bool = True) -> float:
    """PIQE as MATLAB's ``piqe`` (lower is better, 0–100); see
    :func:`no_reference.piqe`. Options as in the module docstring."""
    return no_reference.piqe(
        _prepare_single(img, crop_border, convert_to, round_y))
