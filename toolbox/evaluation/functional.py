"""Image-quality metrics as pure numpy functions on 8-bit RGB images.

Inputs are ``H×W×3`` RGB arrays in ``[0, 255]`` (uint8, or float holding
8-bit values). ``convert_to``:

* ``None``: all three RGB channels;
* ``'y'``: the Y channel of MATLAB's ``rgb2ycbcr`` (BT.601, studio swing:
  ``16 + (65.481 R + 128.553 G + 24.966 B) / 255``), **not rounded** by default
  (``round_y=True`` rounds it as MATLAB does for uint8 inputs);
* ``'gray'``: MATLAB's ``rgb2gray`` (0.298936 R + 0.587043 G + 0.114021 B,
  rounded to 8 bits as MATLAB does for uint8 images).

The no-reference scores :func:`brisque`, :func:`niqe` and :func:`piqe` live
in :mod:`toolbox.evaluation.no_reference` and are re-exported here.
Accepted inputs: ``H×W×3`` RGB or ``H×W`` grayscale, uint8 or float arrays
holding 8-bit values (``[0, 255]``).
"""
from typing import Optional

import cv2
import numpy as np

from toolbox.evaluation.no_reference import brisque, niqe, piqe  # noqa: F401

CONVERSIONS = (None, 'y', 'gray')


def _as_float_image(img: np.ndarray, name: str) -> np.ndarray:
    img = np.asarray(img)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[2] not in (1, 3):
        raise ValueError(f'{name} must be H×W×3 (or H×W), got {img.shape}')
    return img.astype(np.float64)


def rgb_to_y(img: np.ndarray, round_y: bool = False) -> np.ndarray:
    """Y of MATLAB's ``rgb2ycbcr`` for ``[0, 255]`` RGB, as ``H×W×1``."""
    y = 16.0 + img @ np.array([65.481, 128.553, 24.966]) / 255.0
    if round_y:
        y = np.round(y)
    return y[..., None]


def rgb_to_gray(img: np.ndarray) -> np.ndarray:
    """MATLAB's ``rgb2gray`` of a uint8-valued RGB image, as ``H×W×1``."""
    gray = img @ np.array([0.298936021293775, 0.587043074451121,
                           0.114020904255103])
    return np.round(gray)[..., None]


def convert_color(img: np.ndarray, convert_to: Optional[str],
                  round_y: bool = False) -> np.ndarray:
    """Apply a ``convert_to`` choice (see module docstring)."""
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
    img = convert_color(img, convert_to, round_y)
    ref = convert_color(ref, convert_to, round_y)
    if crop_border:
        c = int(crop_border)
        img, ref = img[c:-c, c:-c], ref[c:-c, c:-c]
    return img, ref


def psnr(img: np.ndarray, ref: np.ndarray, crop_border: int = 0,
         convert_to: Optional[str] = None, round_y: bool = False) -> float:
    """Peak signal-to-noise ratio in dB (peak 255); ``inf`` if identical.

    Args:
        img, ref: RGB images in ``[0, 255]``.
        crop_border: pixels removed on each side before measuring.
        convert_to: ``None``, ``'y'`` or ``'gray'`` (module docstring).
        round_y: round Y to integers (MATLAB on uint8 input).
    """
    img, ref = _prepare(img, ref, crop_border, convert_to, round_y)
    mse = np.mean((img - ref)**2)
    if mse == 0:
        return float('inf')
    return float(10.0 * np.log10(255.0**2 / mse))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    kernel = cv2.getGaussianKernel(size, sigma)
    return kernel @ kernel.T


def _ssim_channel(x: np.ndarray, y: np.ndarray) -> float:
    """Wang et al.'s ``ssim.m`` on one channel: 11×11 Gaussian (σ=1.5),
    K1=0.01, K2=0.03, L=255, 'valid' filtering, mean of the SSIM map."""
    c1, c2 = (0.01 * 255)**2, (0.03 * 255)**2
    window = _gaussian_window()

    def filt(a):  # 'valid' region of a correlation with the window
        return cv2.filter2D(a, -1, window, borderType=cv2.BORDER_REFLECT)[
            5:-5, 5:-5]

    mu_x, mu_y = filt(x), filt(y)
    sigma_x = filt(x * x) - mu_x**2
    sigma_y = filt(y * y) - mu_y**2
    sigma_xy = filt(x * y) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * sigma_xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (sigma_x + sigma_y + c2))
    return float(ssim_map.mean())


def ssim(img: np.ndarray, ref: np.ndarray, crop_border: int = 0,
         convert_to: Optional[str] = None, round_y: bool = False) -> float:
    """Structural similarity as Wang et al.'s reference ``ssim.m``.

    No automatic downsampling; for RGB (``convert_to=None``) the mean over the
    three channels. Arguments as in :func:`psnr`.
    """
    img, ref = _prepare(img, ref, crop_border, convert_to, round_y)
    if min(img.shape[:2]) < 11:
        raise ValueError(f'SSIM needs images of at least 11×11, got '
                         f'{img.shape[:2]}')
    return float(
        np.mean([
            _ssim_channel(img[..., c], ref[..., c])
            for c in range(img.shape[2])
        ]))
