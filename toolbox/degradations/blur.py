"""Blur: linear motion blur, Gaussian blur and non-uniform camera shake."""
import math
from typing import Tuple

import numpy as np

from toolbox.degradations.filtering import (correlate, gaussian_kernel,
                                            line_kernel)

__all__ = ['add_gaussian_blur', 'add_motion_blur', 'add_nonuniform_blur',
           'line_kernel', 'shake_kernel']


def _filter(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    out = correlate(image, kernel, border='reflect')
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def add_motion_blur(image: np.ndarray,
                    rng: np.random.Generator,
                    length: Tuple[int, int] = (5, 15),
                    angle: Tuple[float, float] = (0.0, 180.0)) -> np.ndarray:
    """Linear motion blur of random length (pixels) and direction."""
    kernel = line_kernel(int(rng.integers(length[0], length[1] + 1)),
                         rng.uniform(*angle))
    return _filter(image, kernel)


def add_gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of standard deviation ``sigma`` (no-op for σ ≤ 0).

    The kernel spans ±3σ (at least 3×3), as OpenCV/MATLAB ``fspecial``-style
    synthesis does.
    """
    if sigma <= 0:
        return image.copy()
    size = max(3, int(2 * np.ceil(3 * sigma) + 1))
    taps = gaussian_kernel(size, sigma)
    return _filter(image, np.outer(taps, taps))


def shake_kernel(size: int, rng: np.random.Generator,
                 length: float) -> np.ndarray:
    """A camera-shake kernel: a random trajectory of about ``length``
    pixels rasterised into a normalised ``size×size`` kernel.

    The trajectory is the random walk of Boracchi & Foi (IEEE TIP 2012,
    "Modeling the performance of image restoration from motion blur"):
    a velocity that keeps its direction with random jitter and the odd
    abrupt turn, integrated over 64 steps; each position is splatted
    bilinearly, the kernel centred on its centre of mass.
    """
    steps = 64
    # Python floats, not NumPy's vectorised exp/hypot: the same bits on
    # every CPU (the kernel's taps feed pinned checksums).
    angle = rng.uniform(0, 2 * math.pi)
    vx, vy = math.cos(angle), math.sin(angle)
    x = y = 0.0
    xs, ys = [], []
    for _ in range(steps):
        vx += rng.normal(0, 0.25)
        vy += rng.normal(0, 0.25)
        if rng.random() < 0.02:  # an abrupt turn back
            vx, vy = -vx, -vy
        norm = max(math.sqrt(vx * vx + vy * vy), 1e-9)
        vx, vy = vx / norm, vy / norm
        x, y = x + vx, y + vy
        xs.append(x)
        ys.append(y)
    mean_x, mean_y = sum(xs) / steps, sum(ys) / steps
    xs = [v - mean_x for v in xs]
    ys = [v - mean_y for v in ys]
    extent = max(max(map(abs, xs)), max(map(abs, ys)), 1e-9)
    scale = min(length / 2, (size - 1) / 2 - 0.5) / extent
    kernel = np.zeros((size, size))
    centre = (size - 1) / 2.0
    for px, py in zip(xs, ys):  # bilinear splatting of each position
        px, py = px * scale + centre, py * scale + centre
        x0, y0 = math.floor(px), math.floor(py)
        fx, fy = px - x0, py - y0
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                kernel[y0 + dy, x0 + dx] += wy * wx
    return kernel / kernel.sum()


def add_nonuniform_blur(image: np.ndarray, rng: np.random.Generator,
                        length: Tuple[float, float] = (7.0, 17.0),
                        grid: int = 2) -> np.ndarray:
    """Spatially varying camera-shake blur, as real blurred photographs
    show it (rotation and depth make the blur differ across the frame).

    A ``grid×grid`` set of shake kernels (:func:`shake_kernel`, each of a
    random length in ``length``) is blended bilinearly across the image:
    the efficient-filter-flow approximation of non-uniform blur (Hirsch
    et al., CVPR 2010), ``Σ_k w_k(x)·(K_k ∗ I)(x)`` with the weights ``w_k``
    the bilinear interpolation weights of the grid points.
    """
    h, w = image.shape[:2]
    size = int(2 * np.ceil(length[1] / 2) + 1)
    blurred = [correlate(image, shake_kernel(size, rng,
                                             rng.uniform(*length)),
                         border='reflect')
               for _ in range(grid * grid)]
    ys = np.linspace(0.0, grid - 1, h)[:, None]
    xs = np.linspace(0.0, grid - 1, w)[None, :]
    out = np.zeros(blurred[0].shape)
    for k, layer in enumerate(blurred):
        gy, gx = divmod(k, grid)
        weight = np.clip(1 - np.abs(ys - gy), 0, 1) * np.clip(
            1 - np.abs(xs - gx), 0, 1)
        out += weight[..., None] * layer
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
