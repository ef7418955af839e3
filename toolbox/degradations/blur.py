"""Blur: linear motion blur and Gaussian blur."""
from typing import Tuple

import cv2
import numpy as np


def line_kernel(length: int, angle: float) -> np.ndarray:
    """A normalised ``length×length`` line kernel at ``angle`` degrees from
    vertical (a straight-line camera or object motion)."""
    length = max(int(length), 1)
    kernel = np.zeros((length, length), np.float32)
    kernel[:, length // 2] = 1.0
    centre = ((length - 1) / 2.0, (length - 1) / 2.0)
    rotation = cv2.getRotationMatrix2D(centre, angle, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length),
                            flags=cv2.INTER_LINEAR)
    return kernel / max(float(kernel.sum()), 1e-6)


def _filter(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    out = cv2.filter2D(image.astype(np.float32), -1, kernel,
                       borderType=cv2.BORDER_REFLECT)
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
    kernel = cv2.getGaussianKernel(size, sigma)
    return _filter(image, kernel @ kernel.T)
