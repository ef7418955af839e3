"""Rain streaks: motion-blurred sparse noise, screen-blended onto the image.

The usual synthetic-rain recipe (as in the Rain100/Rain1400 family): sparse
random drops are elongated along one direction by a line kernel, and the
streak layer ``S`` is composited as ``I = 1 − (1 − J)(1 − S)`` (screen
blending, so streaks brighten the scene as real rain does).
"""
from typing import Tuple

import numpy as np

from toolbox.degradations.filtering import (correlate, gaussian_blur,
                                            line_kernel, max_filter)

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


def real_rain_veil(clean: np.ndarray, rng: np.random.Generator,
                   veil: Tuple[float, float] = (0.08, 0.25)) -> np.ndarray:
    """The first part of :func:`add_real_rain` (and its first draws): the
    veil, ``(1 − α)·B + α·A``, ``α`` from ``veil`` at the top of the frame
    to 0.6 of it at the bottom, ``A`` a grey-blue airlight. ``clean`` and
    the result are ``H×W×3`` floats in [0, 1]. Separate so that the veil's
    share of a rainy image can be measured (tools/analyze_demo_rain.py)."""
    strength = rng.uniform(*veil)
    rows = np.linspace(1.0, 0.6, clean.shape[0])[:, None, None]
    airlight = rng.uniform(0.75, 0.95) + np.array([-0.03, 0.0, 0.03])
    alpha = strength * rows
    return clean * (1.0 - alpha) + airlight * alpha


def add_real_rain(image: np.ndarray,
                  rng: np.random.Generator,
                  layers: Tuple[int, int] = (2, 3),
                  veil: Tuple[float, float] = (0.08, 0.25),
                  splash_density: Tuple[float, float] = (0.0, 0.002)
                  ) -> np.ndarray:
    """Rain as photographs show it: streaks at several depths, the veil of
    rain accumulated along the line of sight, and splashes.

    The model of the rain-rendering literature in three parts (Garg &
    Nayar 2006 for streak appearance; Yang et al., CVPR 2017, JORDER's
    ``O = α(B + Σ S_t) + (1 − α)A`` for accumulation; Li et al., CVPR 2019,
    heavy rain = streaks + veiling): ``layers`` streak layers share the
    wind direction (±5°) and go from far (short, thin, dense, faint,
    defocused) to near (long, sparse, bright); the veil blends towards a
    grey-blue airlight, more at the top of the frame (farther); splashes
    are sparse small bright blobs, more in the lower half.

    Args:
        image: ``H×W×3`` uint8 RGB.
        rng: random generator.
        layers: range of the number of streak layers.
        veil: range of the veil's strength at the top of the frame.
        splash_density: range of the fraction of pixels seeding a splash.
    """
    h, w = image.shape[:2]
    # Veil first: it is the rain far away, behind the streaks.
    rainy = real_rain_veil(image.astype(np.float64) / 255.0, rng, veil)
    wind = rng.uniform(-30.0, 30.0)
    count = int(rng.integers(layers[0], layers[1] + 1))
    streaks = np.zeros((h, w))
    for depth in np.linspace(1.0, 0.0, count):  # 1 = far, 0 = near
        length = int(round(rng.uniform(5, 9) + (1 - depth) * rng.uniform(
            10, 22)))
        density = rng.uniform(0.004, 0.010) * (0.5 + depth)
        layer = rain_layer(h, w, rng, density, length,
                           wind + rng.uniform(-5.0, 5.0),
                           thickness=1 if depth > 0.4 else int(
                               rng.integers(1, 3)))
        if depth > 0.5:  # far streaks are out of focus
            layer = gaussian_blur(layer, 0.8)
        brightness = rng.uniform(0.25, 0.45) + (1 - depth) * rng.uniform(
            0.2, 0.45)
        streaks = 1.0 - (1.0 - streaks) * (1.0 - brightness * layer)
    seeds = rng.random((h, w)) < rng.uniform(*splash_density)
    seeds &= rng.random((h, w)) < np.linspace(0.3, 1.0, h)[:, None]
    splashes = gaussian_blur(max_filter(seeds.astype(np.float64), 2), 0.7)
    streaks = np.maximum(streaks, 0.8 * np.clip(splashes * 2.0, 0, 1))
    rainy = 1.0 - (1.0 - rainy) * (1.0 - streaks[..., None])
    return np.clip(np.round(rainy * 255.0), 0, 255).astype(np.uint8)
