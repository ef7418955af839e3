"""Where tiled inference cuts an image into windows and how it weights them,
and how an image is padded to a multiple.

Pure NumPy and no other toolbox module, so the PyTorch tiling
(:mod:`toolbox.models.utils.tiling`) and the ONNX Runtime runner
(:mod:`toolbox.deploy.onnx_runtime`, which must run without torch) cut and
blend alike, and the data preprocessor, MPRNet and both runners pad by one
rule (:func:`pad_mode_for`). The blending rule is described in
:mod:`toolbox.models.utils.tiling` and docs/inference.md: along each axis
a window's weight is 1 in its interior and at image borders; on a side
shared with a neighbour its outer ``trim`` pixels get 0 and the next
``ramp`` pixels rise along a raised cosine.
"""
import math
from typing import List, Tuple

import numpy as np

#: Defaults shared by ``test_cfg``, :func:`toolbox.apis.restore_image`,
#: the ONNX Runtime runner and ``tools/infer.py`` (measured, see
#: docs/inference.md).
DEFAULT_TILE_OVERLAP = 32
DEFAULT_TILE_BLEND = 0.5
DEFAULT_TILE_BATCH = 1


def check_tile_args(tile_size: int, tile_overlap: int, tile_blend: float,
                    tile_batch: int) -> None:
    """Raise ValueError for values tiled inference cannot use."""
    if tile_size <= 0:
        raise ValueError(f'tile_size must be positive, got {tile_size}')
    if not 0 <= tile_overlap < tile_size:
        raise ValueError(f'tile_overlap must be in [0, tile_size), got '
                         f'{tile_overlap} with tile_size {tile_size}')
    if not 0.0 <= tile_blend <= 1.0:
        raise ValueError(f'tile_blend must be in [0, 1], got {tile_blend}')
    if tile_batch <= 0:
        raise ValueError(f'tile_batch must be positive, got {tile_batch}')


def aligned_tile_and_stride(tile_size: int, tile_overlap: int,
                            pad_multiple: int) -> Tuple[int, int]:
    """``(tile, stride)`` rounded down to multiples of ``pad_multiple``.

    Windows then start on the image's pixel phase: a network that
    downsamples by 2 twice gives another output for an image shifted by one
    pixel, so a window at an odd offset would not reproduce the whole-image
    output. The overlap (``tile - stride``) grows rather than shrinks.
    """
    if pad_multiple <= 0:
        raise ValueError(f'pad_multiple must be positive, got {pad_multiple}')
    tile = max(pad_multiple, tile_size // pad_multiple * pad_multiple)
    stride = max(pad_multiple,
                 (tile - tile_overlap) // pad_multiple * pad_multiple)
    return tile, stride


def window_starts(length: int, tile: int, stride: int) -> List[int]:
    """Starts of windows covering ``[0, length)``; the last ends at length."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return starts


def blend_trim(tile_overlap: int, tile_blend: float) -> int:
    """Pixels at a shared window side that get weight 0."""
    # Rounded down, so that 2 * trim <= tile_overlap: every pixel keeps a
    # window with positive weight.
    return int(tile_overlap * (1.0 - tile_blend) / 2 + 1e-9)


def ramp_weights(tile_overlap: int, tile_blend: float) -> np.ndarray:
    """The rising weight over ``tile_overlap`` pixels of a shared side
    (float64)."""
    trim = blend_trim(tile_overlap, tile_blend)
    ramp = tile_overlap - 2 * trim
    k = np.arange(ramp, dtype=np.float64)
    rise = 0.5 - 0.5 * np.cos(math.pi * (k + 0.5) / max(ramp, 1))
    return np.concatenate([np.zeros(trim), rise,
                           np.ones(tile_overlap - trim - ramp)])


def axis_weights(length: int, tile: int, starts: List[int],
                 tile_overlap: int, tile_blend: float) -> List[np.ndarray]:
    """The 1-D weight of each window along one axis (float64).

    A side at the image border keeps weight 1 (no neighbour covers it);
    a side shared with a neighbour ramps as :func:`ramp_weights`.
    """
    rise = ramp_weights(tile_overlap, tile_blend)
    weights = []
    for start in starts:
        size = min(tile, length - start)
        w = np.ones(size, dtype=np.float64)
        n = min(tile_overlap, size)
        if start > 0:
            w[:n] *= rise[:n]
        if start + size < length:
            w[size - n:] *= rise[:n][::-1]
        weights.append(w)
    return weights


def blend_normaliser(length: int, starts: List[int],
                     weights: List[np.ndarray]) -> np.ndarray:
    """Sum of the windows' weights along one axis (positive everywhere)."""
    total = np.zeros(length, dtype=np.float64)
    for start, w in zip(starts, weights):
        total[start:start + len(w)] += w
    return total


def pad_mode_for(height: int, width: int, pad_h: int, pad_w: int,
                 mode: str = 'reflect') -> str:
    """The padding mode that pads an ``height×width`` image by ``pad_h``
    (bottom) and ``pad_w`` (right): ``mode``, except ``'replicate'`` for
    ``'reflect'`` when a pad is not smaller than its side (reflect cannot
    pad more than the side minus one), for both axes at once. The one rule
    of the data preprocessor, MPRNet, tiling and the ONNX Runtime path.
    """
    if mode == 'reflect' and (pad_h >= height or pad_w >= width):
        return 'replicate'
    return mode


def pad_to_multiple_widths(height: int, width: int,
                           multiple: int) -> Tuple[int, int, str]:
    """``(pad_bottom, pad_right, mode)`` that pad an image to multiples,
    reflecting where it can (:func:`pad_mode_for`)."""
    pad_h, pad_w = (-height) % multiple, (-width) % multiple
    return pad_h, pad_w, pad_mode_for(height, width, pad_h, pad_w)


__all__ = ['DEFAULT_TILE_OVERLAP', 'DEFAULT_TILE_BLEND',
           'DEFAULT_TILE_BATCH', 'check_tile_args', 'aligned_tile_and_stride',
           'window_starts', 'blend_trim', 'ramp_weights', 'axis_weights',
           'blend_normaliser', 'pad_mode_for', 'pad_to_multiple_widths']
