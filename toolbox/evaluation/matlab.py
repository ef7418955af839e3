"""MATLAB functions the reference metric code relies on, in numpy.

Only what the LIVE BRISQUE/NIQE releases and MATLAB's ``piqe`` call:
``fspecial('gaussian')``, ``filter2``/``imfilter``/``imgaussfilt`` with a
7×7 Gaussian, ``imresize`` (bicubic with antialiasing, the default),
``rgb2gray`` for uint8 images and ``round`` (half away from zero).

Where MATLAB's order of floating-point operations is known it is followed
(``imresize`` sums its taps in order), because on perfectly flat image
regions the metrics amplify rounding residue (see docs/metrics.md).
"""
from functools import lru_cache
from typing import Tuple

import cv2
import numpy as np

# First row of inv([1 0.956 0.621; 1 -0.272 -0.647; 1 -1.106 1.703]), the
# coefficients MATLAB's rgb2gray uses.
RGB2GRAY = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])


def matlab_round(x: np.ndarray) -> np.ndarray:
    """MATLAB ``round``: halves go away from zero (numpy rounds to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def fspecial_gaussian(size: int = 7, sigma: float = 7 / 6) -> np.ndarray:
    """MATLAB ``fspecial('gaussian', size, sigma)`` (normalised to sum 1)."""
    half = (size - 1) / 2
    y, x = np.mgrid[-half:half + 1, -half:half + 1]
    kernel = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    return kernel / kernel.sum()


def gaussian_filter(img: np.ndarray, border: str, separable: bool,
                    size: int = 7, sigma: float = 7 / 6) -> np.ndarray:
    """'same'-size correlation of a float image with a Gaussian window.

    Args:
        border: ``'zero'`` (``filter2``/``conv2``, zero padding) or
            ``'replicate'`` (``imfilter(..., 'replicate')``, ``imgaussfilt``).
        separable: filter with the 1-D factor along rows and columns, as
            ``filter2``/``imfilter`` do for a rank-1 window and
            ``imgaussfilt`` always does; ``False`` applies the 2-D window
            directly. The results differ only by rounding.
    """
    mode = cv2.BORDER_CONSTANT if border == 'zero' else cv2.BORDER_REPLICATE
    if border not in ('zero', 'replicate'):
        raise ValueError(f"border must be 'zero' or 'replicate', got {border}")
    img = np.ascontiguousarray(img, dtype=np.float64)
    if separable:
        # OpenCV's sampled Gaussian is fspecial's 1-D factor up to rounding;
        # of the factorisations tried it agreed best with published MATLAB
        # BRISQUE/NIQE values on images with flat regions (docs/metrics.md).
        k = cv2.getGaussianKernel(size, sigma, cv2.CV_64F)
        return cv2.sepFilter2D(img, cv2.CV_64F, k, k, borderType=mode)
    return cv2.filter2D(img, cv2.CV_64F, fspecial_gaussian(size, sigma),
                        borderType=mode)


def rgb2gray(img: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2gray`` of a uint8-valued RGB image (rounded to 8 bits),
    as float64 ``H×W``. Grayscale input (``H×W`` or ``H×W×1``) is returned
    as float64 unchanged."""
    img = np.asarray(img, dtype=np.float64)
    if img.ndim == 2:
        return img
    if img.ndim == 3 and img.shape[2] == 1:
        return img[..., 0]
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'expected an H×W×3 RGB or H×W gray image, got '
                         f'shape {img.shape}')
    return matlab_round(apply_coefficients(img, RGB2GRAY))


def apply_coefficients(img: np.ndarray, coeffs, offset: float = 0.0):
    """``R·c0 + G·c1 + B·c2 + offset`` summed in this fixed order (a BLAS
    matrix product may reorder it, and results that land exactly on .5
    would then round differently from one array shape to another)."""
    return (img[..., 0] * coeffs[0] + img[..., 1] * coeffs[1] +
            img[..., 2] * coeffs[2]) + offset


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return ((1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) +
            (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


@lru_cache(maxsize=64)
def resize_taps(in_len: int, scale: float) -> Tuple[np.ndarray, np.ndarray]:
    """Weights and source indices (``out×taps``) of MATLAB's 1-D bicubic
    resampling: the kernel is stretched by ``1/scale`` when shrinking
    (antialiasing), rows are normalised to sum 1, borders are mirrored
    ('symmetric'), and all-zero tap columns are dropped, as ``imresize``
    does."""
    out_len = int(np.ceil(in_len * scale))
    width = 4.0 / scale if scale < 1 else 4.0
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = int(np.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]
    dist = u[:, None] - idx
    weights = scale * _cubic(scale * dist) if scale < 1 else _cubic(dist)
    weights = weights / weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])
    idx = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    keep = np.any(weights != 0, axis=0)
    weights, idx = weights[:, keep], idx[:, keep]
    weights.flags.writeable = False
    idx.flags.writeable = False
    return weights, idx


def _resize_axis(img: np.ndarray, scale: float, axis: int) -> np.ndarray:
    weights, idx = resize_taps(img.shape[axis], scale)
    out = None
    # One pass per tap (≤ 10), summed in tap order like imresize's mex.
    for k in range(weights.shape[1]):
        if axis == 0:
            term = weights[:, k, None] * img[idx[:, k], :]
        else:
            term = img[:, idx[:, k]] * weights[None, :, k]
        out = term if out is None else out + term
    return out


def imresize(img: np.ndarray, scale: float) -> np.ndarray:
    """MATLAB ``imresize(img, scale)`` of a float ``H×W`` image (bicubic,
    antialiasing on, output ``ceil(size·scale)``, no rounding: MATLAB does
    not round double images). Rows are resized first, as MATLAB does when
    both scales are equal."""
    img = np.asarray(img, dtype=np.float64)
    if img.ndim != 2:
        raise ValueError(f'imresize expects an H×W array, got {img.shape}')
    scale = float(scale)
    if scale <= 0:
        raise ValueError(f'imresize scale must be positive, got {scale}')
    return _resize_axis(_resize_axis(img, scale, 0), scale, 1)


def output_size(shape: Tuple[int, int], scale: float) -> Tuple[int, int]:
    """``imresize``'s output size: ``ceil(shape * scale)``."""
    return tuple(int(np.ceil(s * scale)) for s in shape)
