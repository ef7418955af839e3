"""Tiled inference for images too large to restore in one pass.

The image is cut into ``tile_size × tile_size`` windows; neighbouring windows
overlap by (at least) ``tile_overlap`` pixels. Each window is restored on its
own and the outputs are blended with a separable weight: along each axis a
window's weight is 1 in its interior and at image borders, and on a side it
shares with a neighbour it rises from 0 to 1 across the overlap:

* the outer ``trim = floor(tile_overlap * (1 - tile_blend) / 2)`` pixels of
  the shared side get weight 0 (they are never used);
* the next ``ramp = tile_overlap - 2 * trim`` pixels rise along a raised
  cosine, ``w = (1 - cos(pi * (k + 0.5) / ramp)) / 2``;
* the rest gets 1.

Two neighbours that overlap by exactly ``tile_overlap`` have complementary
weights (cos² + sin² = 1); where windows overlap more (the last window of a
row or column is moved back to end at the image border) or at corners,
the sum of weights is divided out. The sum is separable, one vector per
axis, so no full-size weight map is stored: the only full-size buffer is
the float accumulator of the output.

Consequences:

* For a network whose receptive field reaches at most ``trim`` pixels, every
  output pixel comes from windows that saw all of its receptive field:
  tiled equals untiled to float rounding. ``tile_blend=0`` is hard
  stitching at the middle of the overlap (``trim = tile_overlap // 2``).
* A network with global operations (MPRNet's channel attention and its
  fixed halves and quarters; instance norm, unless its windows get the
  image's statistics: :mod:`toolbox.models.utils.instance_norm_stats`)
  gives each window slightly different outputs; the ramp turns the step such a
  difference would make at a hard cut into a gradual cross-fade, so no
  grid shows. The defaults were chosen by measuring tiled against untiled
  outputs of trained demo models (docs/inference.md,
  ``benchmarks/bench_tiling.py``).

Memory: windows are restored ``tile_batch`` at a time and added into the
accumulator at once, so memory is the input, one output accumulator and
one batch of windows, however large the image.
"""
from typing import Callable, Iterator, List, Tuple

import torch
import torch.nn.functional as F

from toolbox import tile_windows
# The geometry is torch-free (the ONNX Runtime runner shares it); these
# names stay importable from here.
from toolbox.tile_windows import (  # noqa: F401
    DEFAULT_TILE_BATCH, DEFAULT_TILE_BLEND, DEFAULT_TILE_OVERLAP, blend_trim,
    check_tile_args)
from toolbox.tile_windows import window_starts as _window_starts


def ramp_weights(tile_overlap: int, tile_blend: float) -> torch.Tensor:
    """The rising weight over ``tile_overlap`` pixels of a shared side."""
    return torch.from_numpy(tile_windows.ramp_weights(tile_overlap,
                                                      tile_blend))


def axis_weights(length: int, tile: int, starts: List[int],
                 tile_overlap: int, tile_blend: float) -> List[torch.Tensor]:
    """The 1-D weight of each window along one axis (float64).

    A side at the image border keeps weight 1 (no neighbour covers it);
    a side shared with a neighbour ramps as :func:`ramp_weights`.
    """
    return [torch.from_numpy(w.copy()) for w in tile_windows.axis_weights(
        length, tile, starts, tile_overlap, tile_blend)]


def blend_normaliser(length: int, starts: List[int],
                     weights: List[torch.Tensor]) -> torch.Tensor:
    """Sum of the windows' weights along one axis (positive everywhere):
    :func:`~toolbox.tile_windows.blend_normaliser` as a tensor."""
    return torch.from_numpy(tile_windows.blend_normaliser(
        length, starts, [w.double().numpy() for w in weights]))


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad ``x`` (bottom/right) so H and W are multiples: reflect, or
    replicate where reflect cannot (``tile_windows.pad_to_multiple_widths``).
    """
    pad_h, pad_w, mode = tile_windows.pad_to_multiple_widths(
        *x.shape[-2:], multiple)
    if pad_h == 0 and pad_w == 0:
        return x
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)


def _run(forward_fn, window: torch.Tensor, pad_multiple: int) -> torch.Tensor:
    h, w = window.shape[-2:]
    out = forward_fn(pad_to_multiple(window, pad_multiple))
    return out[..., :h, :w]


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def tiled_forward(forward_fn: Callable[[torch.Tensor], torch.Tensor],
                  inputs: torch.Tensor,
                  tile_size: int,
                  tile_overlap: int = DEFAULT_TILE_OVERLAP,
                  pad_multiple: int = 1,
                  tile_blend: float = DEFAULT_TILE_BLEND,
                  tile_batch: int = DEFAULT_TILE_BATCH) -> torch.Tensor:
    """Apply ``forward_fn`` to ``inputs`` window by window and blend.

    Args:
        forward_fn: maps an ``B×C×h×w`` tensor to a ``B×C'×h×w`` tensor
            (e.g. a network's final output); each sample of the batch
            independently.
        inputs: the ``N×C×H×W`` batch.
        tile_size: side of the square windows; an image no larger than it in
            both directions runs in one pass.
        tile_overlap: overlap of neighbouring windows, in pixels
            (``0 <= tile_overlap < tile_size``).
        pad_multiple: for networks that need sizes divisible by some
            factor: the image is reflect-padded (bottom/right) to a
            multiple of it, like a whole image, and the tile size and
            stride are rounded down to multiples of it, so every window
            has a valid size and starts on the image's pixel phase; the
            output is cropped back.
        tile_blend: share of the overlap over which neighbours cross-fade
            (raised cosine), in ``[0, 1]``; the outer
            ``(1 - tile_blend) / 2`` of the overlap on each side is
            discarded. 0: hard stitching in the middle of the overlap.
        tile_batch: windows restored per ``forward_fn`` call (all windows
            have the same size, so they stack).

    Returns:
        The ``N×C'×H×W`` output (float32 accumulation for floating outputs).
    """
    check_tile_args(tile_size, tile_overlap, tile_blend, tile_batch)
    if pad_multiple <= 0:
        raise ValueError(f'pad_multiple must be positive, got {pad_multiple}')
    height, width = inputs.shape[-2:]
    if height <= tile_size and width <= tile_size:
        return _run(forward_fn, inputs, pad_multiple)
    # Windows start at multiples of pad_multiple, so each sees the pixel
    # phase of the whole image (a network that downsamples by 2 twice
    # gives another output for an image shifted by one pixel): the tile
    # is rounded down and the stride too (the overlap grows), and the
    # image is padded like a whole image would be.
    tile_size, stride = tile_windows.aligned_tile_and_stride(
        tile_size, tile_overlap, pad_multiple)
    tile_overlap = tile_size - stride
    inputs = pad_to_multiple(inputs, pad_multiple)
    output = _blend_windows(forward_fn, inputs, tile_size, stride,
                            tile_overlap, tile_blend, tile_batch)
    return output[..., :height, :width]


def _blend_windows(forward_fn, inputs: torch.Tensor, tile_size: int,
                   stride: int, tile_overlap: int, tile_blend: float,
                   tile_batch: int) -> torch.Tensor:
    height, width = inputs.shape[-2:]
    tops = _window_starts(height, tile_size, stride)
    lefts = _window_starts(width, tile_size, stride)
    row_w = axis_weights(height, tile_size, tops, tile_overlap, tile_blend)
    col_w = axis_weights(width, tile_size, lefts, tile_overlap, tile_blend)
    windows: List[Tuple[int, int, int]] = [
        (n, i, j) for n in range(inputs.shape[0])
        for i in range(len(tops)) for j in range(len(lefts))]
    output = None
    for batch in _batches(windows, tile_batch):
        stacked = torch.cat([
            inputs[n:n + 1, :, tops[i]:tops[i] + tile_size,
                   lefts[j]:lefts[j] + tile_size] for n, i, j in batch])
        # Windows are multiples of pad_multiple already; crop what a
        # network adds beyond (e.g. rounding odd sizes up).
        restored = _run(forward_fn, stacked, 1)
        if output is None:
            dtype = torch.promote_types(restored.dtype, torch.float32)
            output = restored.new_zeros(
                (inputs.shape[0], restored.shape[1], height, width),
                dtype=dtype)
        for k, (n, i, j) in enumerate(batch):
            weight = (row_w[i][:, None] * col_w[j][None, :]).to(
                device=output.device, dtype=output.dtype)
            h, w = weight.shape
            output[n, :, tops[i]:tops[i] + h,
                   lefts[j]:lefts[j] + w].addcmul_(restored[k], weight)
        del stacked, restored
    # Divide by the (separable) sum of weights, a row band at a time so no
    # full-size weight map is made.
    row_sum = blend_normaliser(height, tops, row_w).to(output)
    col_sum = blend_normaliser(width, lefts, col_w).to(output)
    band = max(1, 2 ** 22 // max(width, 1))
    for top in range(0, height, band):
        norm = row_sum[top:top + band, None] * col_sum[None, :]
        output[..., top:top + band, :].div_(norm)
    return output
