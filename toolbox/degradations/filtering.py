"""The image filters of the synthesis, in float64 NumPy arithmetic only.

Why not OpenCV: its filters and warps run in fixed point or in SIMD code
whose rounding changes from release to release (``warpAffine``'s bilinear
coordinates moved by up to 1.7e-3 between 4.12 and 5.0, ``filter2D`` by
1e-8 between 5.0 and 5.1), and a change of 1e-8 before the final rounding
to uint8 is enough to change a seeded data set. Here every result is a
fixed sequence of elementwise IEEE-754 float64 additions and
multiplications, so a seed gives the same bytes whatever OpenCV is
installed (``tests/degradations/test_pinned_checksums.py``).

Border names follow OpenCV's: ``'reflect'`` is ``BORDER_REFLECT``
(``fedcba|abcdef``, NumPy's ``'symmetric'``), ``'replicate'`` is
``BORDER_REPLICATE`` (``aaaaaa|abcdef``) and ``'reflect101'`` is
``BORDER_REFLECT_101`` (``gfedcb|abcdefg``, OpenCV's default, NumPy's
``'reflect'``).
"""
import math

import numpy as np

_NUMPY_PAD_MODE = {
    'reflect': 'symmetric',
    'reflect101': 'reflect',
    'replicate': 'edge'
}


def _pad(image: np.ndarray, top: int, bottom: int, left: int, right: int,
         border: str) -> np.ndarray:
    if border not in _NUMPY_PAD_MODE:
        raise ValueError(f'border must be one of {sorted(_NUMPY_PAD_MODE)}, '
                         f'got {border!r}')
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2)
    # NumPy reflects again beyond one image width, as OpenCV does.
    return np.pad(image, widths, mode=_NUMPY_PAD_MODE[border])


def correlate(image: np.ndarray, kernel: np.ndarray,
              border: str = 'reflect') -> np.ndarray:
    """``cv2.filter2D``: the correlation of an ``H×W`` or ``H×W×C`` image
    with a 2-D kernel anchored at its centre, in float64.

    Zero taps are skipped, so a sparse kernel (a line) costs only its
    non-zero taps.
    """
    kernel = np.asarray(kernel, np.float64)
    kh, kw = kernel.shape
    top, left = kh // 2, kw // 2  # OpenCV's default anchor
    padded = _pad(np.asarray(image, np.float64), top, kh - 1 - top, left,
                  kw - 1 - left, border)
    h, w = image.shape[:2]
    out = np.zeros(padded[:h, :w].shape, np.float64)
    for dy, dx in zip(*np.nonzero(kernel)):
        out += kernel[dy, dx] * padded[dy:dy + h, dx:dx + w]
    return out


def correlate_separable(image: np.ndarray, column: np.ndarray,
                        row: np.ndarray,
                        border: str = 'reflect') -> np.ndarray:
    """``cv2.sepFilter2D``: the column kernel down the rows, then the row
    kernel along the columns (each 1-D, centre-anchored), in float64."""
    column = np.asarray(column, np.float64).reshape(-1, 1)
    row = np.asarray(row, np.float64).reshape(1, -1)
    return correlate(correlate(image, column, border), row, border)


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    """``cv2.getGaussianKernel(size, sigma)`` for ``sigma > 0``: the
    normalised 1-D Gaussian of ``size`` taps (MATLAB's ``fspecial`` row)."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f'Gaussian kernel size must be odd, got {size}')
    if sigma <= 0:
        raise ValueError(f'Gaussian sigma must be > 0, got {sigma}')
    centre = (size - 1) / 2.0
    # math.exp, not np.exp: NumPy's vectorised exp may differ by an ulp
    # from one CPU's SIMD path to another's.
    taps = np.array([math.exp(-((i - centre)**2) / (2.0 * sigma * sigma))
                     for i in range(size)], np.float64)
    return taps / taps.sum()


def gaussian_blur(image: np.ndarray, sigma: float, size: int = 0,
                  border: str = 'reflect101') -> np.ndarray:
    """Separable Gaussian blur of standard deviation ``sigma``.

    ``size=0`` takes OpenCV's rule for floating-point images,
    ``round(8σ + 1)`` made odd.
    """
    if size <= 0:
        size = int(round(sigma * 8 + 1)) | 1
    taps = gaussian_kernel(size, sigma)
    return correlate_separable(image, taps, taps, border)


def line_kernel(length: int, angle: float) -> np.ndarray:
    """A normalised ``length×length`` line kernel at ``angle`` degrees from
    vertical (straight-line camera or object motion, a rain streak).

    The one-pixel vertical line through the centre column, rotated about
    the kernel centre by ``angle`` (counter-clockwise on screen) with
    bilinear interpolation: what ``cv2.warpAffine`` of that line with
    ``cv2.getRotationMatrix2D`` computes, here in exact coordinates rather
    than OpenCV's 1/32-pixel fixed point.
    """
    length = max(int(length), 1)
    centre = (length - 1) / 2.0
    column = length // 2
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    y, x = np.mgrid[:length, :length].astype(np.float64)
    # Inverse rotation: where each kernel pixel samples the vertical line.
    u = cos * (x - centre) - sin * (y - centre) + centre
    v = sin * (x - centre) + cos * (y - centre) + centre
    u0, v0 = np.floor(u), np.floor(v)
    fu, fv = u - u0, v - v0
    weight_x = np.where(u0 == column, 1.0 - fu, 0.0) + np.where(
        u0 + 1 == column, fu, 0.0)
    inside0 = (v0 >= 0) & (v0 <= length - 1)
    inside1 = (v0 + 1 >= 0) & (v0 + 1 <= length - 1)
    weight_y = np.where(inside0, 1.0 - fv, 0.0) + np.where(inside1, fv, 0.0)
    kernel = weight_x * weight_y
    kernel[np.abs(kernel) < 1e-12] = 0.0  # exact zeros keep it sparse
    return kernel / max(float(kernel.sum()), 1e-12)


def resize_bicubic(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``cv2.resize(..., interpolation=cv2.INTER_CUBIC)`` of a 2-D float
    array: Keys' cubic (a = −0.75) at half-pixel centres, borders
    replicated."""
    def weights(out_size, in_size):
        pos = (np.arange(out_size, dtype=np.float64) + 0.5) * (
            in_size / out_size) - 0.5
        start = np.floor(pos).astype(int) - 1
        t = pos - np.floor(pos)
        a = -0.75
        dist = np.stack([1 + t, t, 1 - t, 2 - t], axis=1)
        near = ((a + 2) * dist - (a + 3)) * dist * dist + 1
        far = ((a * dist - 5 * a) * dist + 8 * a) * dist - 4 * a
        w = np.where(dist <= 1, near, far)
        index = np.clip(start[:, None] + np.arange(4), 0, in_size - 1)
        matrix = np.zeros((out_size, in_size), np.float64)
        for k in range(4):
            np.add.at(matrix, (np.arange(out_size), index[:, k]), w[:, k])
        return matrix

    image = np.asarray(image, np.float64)
    rows = weights(height, image.shape[0])
    cols = weights(width, image.shape[1])
    # Explicit sums, not a BLAS matmul, whose summation order may vary.
    tmp = np.zeros((height, image.shape[1]), np.float64)
    for j in range(image.shape[0]):
        tmp += rows[:, j:j + 1] * image[j:j + 1, :]
    out = np.zeros((height, width), np.float64)
    for j in range(image.shape[1]):
        out += tmp[:, j:j + 1] * cols[:, j][None, :]
    return out


def rgb_to_gray(image: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of an RGB image, float64 in the input's range."""
    image = np.asarray(image, np.float64)
    return (0.299 * image[..., 0] + 0.587 * image[..., 1] +
            0.114 * image[..., 2])


def max_filter(image: np.ndarray, size: int) -> np.ndarray:
    """``cv2.dilate`` with a ``size×size`` square: the local maximum."""
    if size <= 1:
        return np.asarray(image).copy()
    top = size // 2  # OpenCV's default anchor
    padded = _pad(np.asarray(image), top, size - 1 - top, top, size - 1 - top,
                  'replicate')
    h, w = image.shape[:2]
    out = padded[:h, :w].copy()
    for dy in range(size):
        for dx in range(size):
            np.maximum(out, padded[dy:dy + h, dx:dx + w], out=out)
    return out
