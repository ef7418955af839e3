"""Additive Gaussian noise and JPEG compression."""
import cv2
import numpy as np


def add_gaussian_noise(image: np.ndarray, sigma: float,
                       rng: np.random.Generator) -> np.ndarray:
    """Add i.i.d. Gaussian noise of standard deviation ``sigma`` (in 8-bit
    levels) and clip to ``[0, 255]``."""
    if sigma <= 0:
        return image.copy()
    noisy = image.astype(np.float64) + rng.normal(0.0, sigma, image.shape)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def jpeg_compress(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode as JPEG at ``quality`` (1–100) with OpenCV and decode back."""
    quality = int(np.clip(quality, 1, 100))
    ok, buffer = cv2.imencode('.jpg', image[..., ::-1],
                              [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError('OpenCV failed to encode a JPEG')
    return cv2.imdecode(buffer, cv2.IMREAD_COLOR)[..., ::-1].copy()
