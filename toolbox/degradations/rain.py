"""Rain streaks: motion-blurred sparse noise, screen-blended onto the image.

The usual synthetic-rain recipe (as in the Rain100/Rain1400 family): sparse
random drops are elongated along one direction by a line kernel, and the
streak layer ``S`` is composited as ``I = 1 − (1 − J)(1 − S)`` (screen
blending, so streaks brighten the scene as real rain does).
"""
from typing import Tuple

import numpy as np

from toolbox.degradations.filtering import (correlate, line_kernel,
                                            max_filter)

#: The 3-tap binomial smoothing of a streak's cross-section (what
#: ``cv2.GaussianBlur(..., (3, 3), 0)`` uses).
_BINOMIAL_3 = np.outer([0.25, 0.5, 0.25], [0.25, 0.5, 0.25])


def rain_layer(height: int, width: int, rng: np.random.Generator,
               density: float, length: int, angle: float,
               thickness: int = 1) -> np.ndarray:
    """A ``H×W`` streak layer in ``[0, 1]``."""
    drops = (rng.random((height, width)) < density).astype(np.float64)
    drops *= rng.uniform(0.5, 1.0, (height, width))
    if thickness > 1:
        drops = max_filter(drops, thickness)
    streaks = correlate(drops, line_kernel(length, angle), border='reflect')
    streaks = correlate(streaks, _BINOMIAL_3, border='reflect101')
    return np.clip(streaks / max(float(streaks.max()), 1e-6), 0, 1)


def add_rain(image: np.ndarray,
             rng: np.random.Generator,
             density: Tuple[float, float] = (0.004, 0.012),
             length: Tuple[int, int] = (9, 21),
             angle: Tuple[float, float] = (-30.0, 30.0),
             intensity: Tuple[float, float] = (0.5, 0.9)) -> np.ndarray:
    """Rainy version of a uint8 RGB image.

    Args:
        image: ``H×W×3`` uint8 RGB.
        rng: random generator.
        density: range of the fraction of pixels seeding a drop.
        length: range of the streak length in pixels.
        angle: range of the streak angle in degrees from vertical.
        intensity: range of the streak brightness.
    """
    h, w = image.shape[:2]
    layer = rain_layer(h, w, rng, rng.uniform(*density),
                       int(rng.integers(length[0], length[1] + 1)),
                       rng.uniform(*angle))
    layer = (layer * rng.uniform(*intensity))[..., None]
    clean = image.astype(np.float64) / 255.0
    rainy = 1.0 - (1.0 - clean) * (1.0 - layer)
    return np.clip(np.round(rainy * 255.0), 0, 255).astype(np.uint8)
