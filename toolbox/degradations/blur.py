"""Blur: linear motion blur and Gaussian blur."""
from typing import Tuple

import numpy as np

from toolbox.degradations.filtering import (correlate, gaussian_kernel,
                                            line_kernel)

__all__ = ['add_gaussian_blur', 'add_motion_blur', 'line_kernel']


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
