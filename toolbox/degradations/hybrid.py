"""The hybrid-distortion protocol of FDR-Net (after RL-Restore, Yu et al. 2018).

FDR-Net, Sec. 4.1: DIV2K images (first 750 train, last 50 test) get Gaussian
blur, Gaussian noise and JPEG compression, with blur σ ∈ [0, 10], noise
σ ∈ [0, 50] and JPEG quality ∈ [10, 100]; levels *mild*, *moderate* and
*severe*; 63×63 patches; training uses *moderate* only.

The papers do not list the per-level ranges. :data:`HYBRID_LEVELS` takes
*moderate* as the paper's full ranges and *mild*/*severe* as the weaker and
stronger parts of them (an assumption, documented in docs/degradations.md;
override with your own ranges where you know RL-Restore's exact split).
Distortions are applied in the order blur → noise → JPEG, the physical
order (optics, sensor, codec).
"""
from typing import Dict, Iterator, Tuple

import numpy as np

from toolbox.degradations.blur import add_gaussian_blur
from toolbox.degradations.noise import add_gaussian_noise, jpeg_compress

Range = Tuple[float, float]

HYBRID_LEVELS: Dict[str, Dict[str, Range]] = {
    'mild': dict(blur=(0.0, 5.0), noise=(0.0, 25.0), jpeg=(55.0, 100.0)),
    'moderate': dict(blur=(0.0, 10.0), noise=(0.0, 50.0), jpeg=(10.0, 100.0)),
    'severe': dict(blur=(5.0, 10.0), noise=(25.0, 50.0), jpeg=(10.0, 55.0)),
}


def add_hybrid_distortion(image: np.ndarray, rng: np.random.Generator,
                          level: str = 'moderate',
                          levels: Dict[str, Dict[str, Range]] = None
                          ) -> Tuple[np.ndarray, dict]:
    """Blur, noise and JPEG at a random strength of ``level``.

    Returns the distorted uint8 RGB image and the parameters drawn.
    """
    levels = levels or HYBRID_LEVELS
    if level not in levels:
        raise KeyError(f'level must be one of {sorted(levels)}, got {level!r}')
    ranges = levels[level]
    params = dict(
        blur_sigma=float(rng.uniform(*ranges['blur'])),
        noise_sigma=float(rng.uniform(*ranges['noise'])),
        jpeg_quality=int(round(rng.uniform(*ranges['jpeg']))))
    out = add_gaussian_blur(image, params['blur_sigma'])
    out = add_gaussian_noise(out, params['noise_sigma'], rng)
    out = jpeg_compress(out, params['jpeg_quality'])
    return out, params


def patch_grid(height: int, width: int, patch: int = 63,
               stride: int = 63) -> Iterator[Tuple[int, int]]:
    """Top-left corners of the non-overlapping ``patch×patch`` crops."""
    for top in range(0, height - patch + 1, stride):
        for left in range(0, width - patch + 1, stride):
            yield top, left
