"""MATLAB functions the reference metric code relies on, in numpy.

Only what the LIVE BRISQUE/NIQE releases and MATLAB's ``piqe`` call:
``fspecial('gaussian')``, ``imresize`` (bicubic with antialiasing, the
default) and ``rgb2gray`` for uint8 images.
"""
from functools import lru_cache
from typing import Tuple

import numpy as np


def fspecial_gaussian(size: int = 7, sigma: float = 7 / 6) -> np.ndarray:
    """MATLAB ``fspecial('gaussian', size, sigma)`` (normalised to sum 1)."""
    half = (size - 1) / 2
    y, x = np.mgrid[-half:half + 1, -half:half + 1]
    kernel = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    return kernel / kernel.sum()


def rgb2gray(img: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2gray`` of a uint8-valued RGB image (rounded to 8 bits),
    as float64 ``H×W``. Grayscale input is returned as float64."""
    img = np.asarray(img, dtype=np.float64)
    if img.ndim == 2:
        return img
    if img.ndim == 3 and img.shape[2] == 1:
        return img[..., 0]
    gray = img[..., :3] @ np.array([0.298936021293775, 0.587043074451121,
                                    0.114020904255103])
    return np.round(gray)


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return ((1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) +
            (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


@lru_cache(maxsize=32)
def _resize_matrix(in_len: int, scale: float) -> np.ndarray:
    """The ``out×in`` matrix of MATLAB's 1-D bicubic resampling (with the
    antialiasing kernel stretch when shrinking, symmetric boundaries)."""
    out_len = int(np.ceil(in_len * scale))
    width = 4.0 / scale if scale < 1 else 4.0
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = int(np.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]
    dist = u[:, None] - idx
    weights = scale * _cubic(scale * dist) if scale < 1 else _cubic(dist)
    weights /= weights.sum(axis=1, keepdims=True)
    # Symmetric ("mirror") boundary handling, 1-based as in MATLAB.
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])
    idx = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    matrix = np.zeros((out_len, in_len))
    np.add.at(matrix, (np.repeat(np.arange(out_len), taps), idx.ravel()),
              weights.ravel())
    return matrix


def imresize(img: np.ndarray, scale: float) -> np.ndarray:
    """MATLAB ``imresize(img, scale)`` for a float ``H×W`` image (bicubic,
    antialiasing on, no rounding: MATLAB does not round double images)."""
    img = np.asarray(img, dtype=np.float64)
    rows = _resize_matrix(img.shape[0], float(scale))
    cols = _resize_matrix(img.shape[1], float(scale))
    return rows @ img @ cols.T


def output_size(shape: Tuple[int, int], scale: float) -> Tuple[int, int]:
    """``imresize``'s output size: ``ceil(shape * scale)``."""
    return tuple(int(np.ceil(s * scale)) for s in shape)
