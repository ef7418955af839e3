"""Tiled inference for images too large to restore in one pass.

The image is cut into ``tile×tile`` windows that overlap by ``tile_overlap``
pixels. Each window is restored on its own, and each output pixel is taken
from the window in which it lies farthest from a cut edge: every window
contributes only its core, the part at least ``tile_overlap // 2`` pixels
away from the edges it shares with its neighbours. For a network whose
receptive field reaches fewer than ``tile_overlap // 2`` pixels, the result
equals untiled inference exactly; networks with global operations (channel
attention's global pooling in MPRNet) differ slightly, more so for small
tiles.
"""
from typing import Callable, List

import torch


def _starts(length: int, tile: int, stride: int) -> List[int]:
    """Window starts covering ``[0, length)``; the last window ends at it."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return starts


def _core(start: int, prev_end: int, length: int, tile: int,
          is_first: bool, is_last: bool, margin: int):
    """The part ``[lo, hi)`` of a window this window is responsible for."""
    lo = start if is_first else max(start + margin, prev_end)
    hi = start + tile if is_last else start + tile - margin
    return lo, min(hi, length)


def tiled_forward(forward_fn: Callable[[torch.Tensor], torch.Tensor],
                  inputs: torch.Tensor,
                  tile_size: int,
                  tile_overlap: int = 32) -> torch.Tensor:
    """Apply ``forward_fn`` (``N×C×h×w`` → same spatial size) tile by tile.

    Args:
        forward_fn: the network (or a wrapper taking its final output).
        inputs: the ``N×C×H×W`` batch.
        tile_size: window size (square); images no larger run in one pass.
        tile_overlap: overlap between neighbouring windows, in pixels.
    """
    if tile_overlap < 0 or tile_overlap >= tile_size:
        raise ValueError(f'tile_overlap must be in [0, tile_size); got '
                         f'{tile_overlap} with tile_size {tile_size}')
    _, _, height, width = inputs.shape
    if height <= tile_size and width <= tile_size:
        return forward_fn(inputs)
    stride = tile_size - tile_overlap
    margin = tile_overlap // 2
    tops = _starts(height, tile_size, stride)
    lefts = _starts(width, tile_size, stride)
    output = None
    prev_bottom = 0
    for i, top in enumerate(tops):
        t_lo, t_hi = _core(top, prev_bottom, height, tile_size, i == 0,
                           i == len(tops) - 1, margin)
        prev_right = 0
        for j, left in enumerate(lefts):
            l_lo, l_hi = _core(left, prev_right, width, tile_size, j == 0,
                               j == len(lefts) - 1, margin)
            window = inputs[..., top:top + tile_size, left:left + tile_size]
            restored = forward_fn(window)
            if output is None:
                output = restored.new_zeros(
                    (inputs.shape[0], restored.shape[1], height, width))
            output[..., t_lo:t_hi, l_lo:l_hi] = restored[
                ..., t_lo - top:t_hi - top, l_lo - left:l_hi - left]
            prev_right = l_hi
        prev_bottom = t_hi
    return output
