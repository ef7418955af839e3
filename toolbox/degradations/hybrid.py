"""The hybrid-distortion benchmark of FDR-Net (RL-Restore's DIV2K protocol).

FDR-Net (Sec. 4.1) evaluates on the data set of RL-Restore (Yu et al., CVPR
2018): DIV2K images (first 750 train, last 50 test) get Gaussian blur,
Gaussian noise and JPEG compression at levels *mild*, *moderate* and
*severe*, cut into 63×63 patches; training uses *moderate* only.

How RL-Restore's released generator (``data/train/generate_train.m``) builds
it, which this module follows:

* each distortion has 10 strength bins: blur σ edges ``0:0.5:5``, noise σ
  edges ``0:5:50`` (8-bit levels), JPEG quality edges
  ``100, 80, 60, 50, 40, 35, …, 10``;
* a sample draws a bin triple ``(b, n, j)`` uniformly among the ordered
  triples whose level sum ``b + n + j − 2`` lies in the level's range
  (``[12, 17]`` for *moderate*, the training set), then a value uniformly
  inside each bin;
* blur is a 21×21 Gaussian (``fspecial``) with replicated borders; noise is
  added in ``[0, 1]`` and clipped (``imnoise``); JPEG at the drawn quality;
* each image is used at three scales (×1, ×2/3, then ×1/2 of that, i.e.
  ×1/3), each with its own draw, and cut into 63×63 patches at stride 96.

Where the sources disagree or are silent (documented in
docs/degradations.md):

* FDR-Net's text says blur σ ∈ [0, 10]; the generator's bins stop at 5.
  Default: the generator (the data FDR-Net's numbers were measured on);
  ``bins=FDRNET_TEXT_BINS`` gives the text's reading.
* Only *moderate*'s level-sum range is in the released code. *mild* and
  *severe* are "unseen" levels below and above it; we take the adjacent
  ranges of the same width, ``[6, 11]`` and ``[18, 23]`` (an assumption:
  override ``levels=``).
"""
import itertools
from functools import lru_cache
from typing import Dict, Iterator, Optional, Sequence, Tuple

import numpy as np

from toolbox.degradations.filtering import correlate_separable, gaussian_kernel
from toolbox.degradations.noise import jpeg_compress
from toolbox.evaluation.matlab import imresize

Bins = Dict[str, Tuple[float, ...]]

#: Bin edges of RL-Restore's generator (10 bins per distortion).
RL_RESTORE_BINS: Bins = dict(
    blur=tuple(0.5 * i for i in range(11)),
    noise=tuple(5.0 * i for i in range(11)),
    jpeg=(100, 80, 60, 50, 40, 35, 30, 25, 20, 15, 10))

#: FDR-Net's text: blur σ ∈ [0, 10] (bins 0:1:10), the rest as released.
FDRNET_TEXT_BINS: Bins = dict(RL_RESTORE_BINS,
                              blur=tuple(float(i) for i in range(11)))

#: Level → inclusive range of the level sum ``b + n + j − 2``.
HYBRID_LEVELS: Dict[str, Tuple[int, int]] = {
    'mild': (6, 11),
    'moderate': (12, 17),  # generate_train.m: level = [12, 17]
    'severe': (18, 23),
}

#: Image scales of the generator: ×1, ×2/3, then ×1/2 of that (×1/3).
RL_RESTORE_SCALES: Tuple[float, ...] = (1.0, 2.0 / 3.0, 1.0 / 3.0)


@lru_cache(maxsize=16)
def level_combinations(low: int, high: int,
                       num_bins: int = 10) -> Tuple[Tuple[int, int, int], ...]:
    """All ordered bin triples (1-based) with ``low ≤ b+n+j−2 ≤ high``.

    RL-Restore's ``noise_combination.m`` lists every permutation of every
    sorted triple once, i.e. exactly these ordered triples.
    """
    combos = tuple(
        t for t in itertools.product(range(1, num_bins + 1), repeat=3)
        if low <= sum(t) - 2 <= high)
    if not combos:
        raise ValueError(f'No bin triple has a level sum in [{low}, {high}]')
    return combos


def sample_hybrid_params(rng: np.random.Generator, level: str = 'moderate',
                         levels: Optional[Dict[str, Tuple[int, int]]] = None,
                         bins: Optional[Bins] = None) -> dict:
    """Draw blur σ, noise σ and JPEG quality for one image at ``level``."""
    levels = levels or HYBRID_LEVELS
    bins = bins or RL_RESTORE_BINS
    if level not in levels:
        raise KeyError(f'level must be one of {sorted(levels)}, got {level!r}')
    combos = level_combinations(*levels[level],
                                num_bins=len(bins['blur']) - 1)
    triple = combos[int(rng.integers(len(combos)))]
    values = {}
    for name, index in zip(('blur', 'noise', 'jpeg'), triple):
        lo, hi = bins[name][index - 1], bins[name][index]
        values[name] = lo + rng.random() * (hi - lo)
    return dict(bins=triple, blur_sigma=float(values['blur']),
                noise_sigma=float(values['noise']),
                jpeg_quality=int(round(values['jpeg'])))


def apply_hybrid(image: np.ndarray, params: dict, rng: np.random.Generator,
                 kernel_size: int = 21) -> np.ndarray:
    """Blur → noise → JPEG with the given parameters, as the generator does
    (floating point in ``[0, 1]`` until the JPEG encoder quantises)."""
    img = image.astype(np.float64) / 255.0
    sigma = params['blur_sigma']
    if sigma > 0:
        taps = gaussian_kernel(kernel_size, sigma)
        img = correlate_separable(img, taps, taps, border='replicate')
    if params['noise_sigma'] > 0:
        img = img + rng.normal(0.0, params['noise_sigma'] / 255.0,
                               img.shape)
    img = np.round(np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8)
    return jpeg_compress(img, params['jpeg_quality'])


def add_hybrid_distortion(image: np.ndarray, rng: np.random.Generator,
                          level: str = 'moderate',
                          levels: Optional[Dict[str, Tuple[int, int]]] = None,
                          bins: Optional[Bins] = None,
                          kernel_size: int = 21) -> Tuple[np.ndarray, dict]:
    """Blur, noise and JPEG at a random strength of ``level``.

    Args:
        image: ``H×W×3`` uint8 RGB clean image.
        rng: random generator (all randomness comes from it).
        level: ``'mild'``, ``'moderate'`` or ``'severe'`` (keys of
            ``levels``).
        levels: level → level-sum range (default :data:`HYBRID_LEVELS`).
        bins: bin edges (default :data:`RL_RESTORE_BINS`).
        kernel_size: Gaussian kernel support (the generator's 21).

    Returns the distorted uint8 RGB image and the parameters drawn.
    """
    params = sample_hybrid_params(rng, level, levels, bins)
    return apply_hybrid(image, params, rng, kernel_size), params


def resize_matlab(image: np.ndarray, scale: float) -> np.ndarray:
    """MATLAB ``imresize(im2double(image), scale)`` (bicubic, antialiased),
    as the generator rescales its images; returns float ``[0, 1]``."""
    img = image.astype(np.float64) / 255.0
    return np.stack([imresize(img[..., c], scale)
                     for c in range(img.shape[2])], axis=2)


def patch_grid(height: int, width: int, patch: int = 63,
               stride: Optional[int] = None) -> Iterator[Tuple[int, int]]:
    """Top-left corners of ``patch×patch`` crops every ``stride`` pixels
    (default: non-overlapping)."""
    stride = stride or patch
    for top in range(0, height - patch + 1, stride):
        for left in range(0, width - patch + 1, stride):
            yield top, left


def hybrid_patches(image: np.ndarray, rng: np.random.Generator,
                   level: str = 'moderate', patch: Optional[int] = 63,
                   stride: Optional[int] = 96,
                   scales: Sequence[float] = RL_RESTORE_SCALES,
                   **kwargs) -> Iterator[Tuple[str, np.ndarray, np.ndarray]]:
    """RL-Restore's sample generation for one clean image.

    For each scale (relative to the original) the clean image is resized
    (MATLAB bicubic), distorted once with a fresh draw, and cut into
    ``patch×patch`` pairs every ``stride`` pixels (``patch=None`` keeps the
    whole image). Yields ``(suffix, degraded, clean)`` with suffix
    ``s<k>_<top>_<left>`` (``s<k>`` alone for whole images).
    ``kwargs`` go to :func:`add_hybrid_distortion`.
    """
    for k, scale in enumerate(scales, start=1):
        if abs(scale - 1.0) < 1e-9:
            clean_f = image.astype(np.float64) / 255.0
        else:
            clean_f = resize_matlab(image, scale)
        # The generator keeps the label in double; saved targets are 8-bit.
        clean = np.round(np.clip(clean_f, 0, 1) * 255.0).astype(np.uint8)
        degraded, _ = add_hybrid_distortion(clean, rng, level, **kwargs)
        if not patch:
            yield f's{k}', degraded, clean
            continue
        for top, left in patch_grid(*clean.shape[:2], patch, stride):
            window = (slice(top, top + patch), slice(left, left + patch))
            yield (f's{k}_{top:04d}_{left:04d}', degraded[window],
                   clean[window])
