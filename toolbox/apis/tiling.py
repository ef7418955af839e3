"""Tiled inference for images too large to restore in one pass.

The image is cut into ``tile_size × tile_size`` windows; neighbouring windows
overlap by ``tile_overlap`` pixels. Each window is restored on its own and
every output pixel is taken from exactly one window: the one in which it lies
away from the cut edges. Each window keeps its *core*, the part at least
``tile_overlap // 2`` pixels from the edges it shares with a neighbour (image
borders are kept, since untiled inference sees the same border there).

Consequence: for a network whose receptive field reaches at most
``tile_overlap // 2`` pixels, tiled and untiled outputs are equal (to float
rounding). Networks with global operations (the channel attention of MPRNet
averages over the whole window) differ slightly, less for larger tiles.
Taking cores instead of blending keeps that exactness and costs no weights
map; seams cannot appear where the receptive field fits in the margin.
"""
from typing import Callable, List, Tuple

import torch
import torch.nn.functional as F


def _window_starts(length: int, tile: int, stride: int) -> List[int]:
    """Starts of windows covering ``[0, length)``; the last ends at length."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return starts


def _cores(length: int, tile: int, starts: List[int],
           margin: int) -> List[Tuple[int, int]]:
    """For each window, the output span ``[lo, hi)`` it is responsible for.

    Spans tile ``[0, length)`` without gaps or overlaps: a window gives up
    ``margin`` pixels on each side it shares with a neighbour, and the
    boundary between two windows is where the earlier one's core ends.
    """
    spans = []
    previous_end = 0
    for i, start in enumerate(starts):
        end = min(start + tile, length)
        lo = previous_end if i == 0 else max(start + margin, previous_end)
        hi = end if i == len(starts) - 1 else end - margin
        spans.append((lo, hi))
        previous_end = hi
    return spans


def _pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Reflect-pad ``x`` (bottom/right) so H and W are multiples."""
    h, w = x.shape[-2:]
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    if pad_h == 0 and pad_w == 0:
        return x
    # reflect needs the pad to be smaller than the size.
    mode = 'reflect' if pad_h < h and pad_w < w else 'replicate'
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)


def _run(forward_fn, window: torch.Tensor, pad_multiple: int) -> torch.Tensor:
    h, w = window.shape[-2:]
    out = forward_fn(_pad_to_multiple(window, pad_multiple))
    return out[..., :h, :w]


def tiled_forward(forward_fn: Callable[[torch.Tensor], torch.Tensor],
                  inputs: torch.Tensor,
                  tile_size: int,
                  tile_overlap: int = 32,
                  pad_multiple: int = 1) -> torch.Tensor:
    """Apply ``forward_fn`` to ``inputs`` window by window.

    Args:
        forward_fn: maps an ``N×C×h×w`` tensor to an ``N×C'×h×w`` tensor
            (e.g. a network's final output).
        inputs: the ``N×C×H×W`` batch.
        tile_size: side of the square windows; an image no larger than it in
            both directions runs in one pass.
        tile_overlap: overlap of neighbouring windows, in pixels
            (``0 <= tile_overlap < tile_size``).
        pad_multiple: each window is reflect-padded (bottom/right) to a
            multiple of this before ``forward_fn`` and its output cropped
            back, for networks that need sizes divisible by some factor.

    Returns:
        The ``N×C'×H×W`` output.
    """
    if tile_size <= 0:
        raise ValueError(f'tile_size must be positive, got {tile_size}')
    if not 0 <= tile_overlap < tile_size:
        raise ValueError(f'tile_overlap must be in [0, tile_size), got '
                         f'{tile_overlap} with tile_size {tile_size}')
    if pad_multiple <= 0:
        raise ValueError(f'pad_multiple must be positive, got {pad_multiple}')
    height, width = inputs.shape[-2:]
    if height <= tile_size and width <= tile_size:
        return _run(forward_fn, inputs, pad_multiple)
    stride = tile_size - tile_overlap
    margin = tile_overlap // 2
    tops = _window_starts(height, tile_size, stride)
    lefts = _window_starts(width, tile_size, stride)
    rows = _cores(height, tile_size, tops, margin)
    cols = _cores(width, tile_size, lefts, margin)
    output = None
    for top, (r_lo, r_hi) in zip(tops, rows):
        for left, (c_lo, c_hi) in zip(lefts, cols):
            window = inputs[..., top:top + tile_size, left:left + tile_size]
            restored = _run(forward_fn, window, pad_multiple)
            if output is None:
                output = restored.new_empty(
                    (*restored.shape[:-2], height, width))
            output[..., r_lo:r_hi, c_lo:c_hi] = restored[
                ..., r_lo - top:r_hi - top, c_lo - left:c_hi - left]
    return output
