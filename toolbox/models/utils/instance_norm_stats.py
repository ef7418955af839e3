"""Tiled inference of instance-norm networks with the whole image's statistics.

An instance-norm layer normalises each feature map by its own mean and
variance. Tiled, a window's feature maps are the window's, and their
statistics differ from the whole image's (a dark corner, a bright sky):
the demo CycleGAN's tiled output was 18-20 dB from its untiled one at any
window size (docs/inference.md). Here the statistics come from the image:

1. *Record*: one pass of the network over the whole (padded) image, with a
   forward hook on every instance-norm layer that keeps the per-channel
   mean and (biased) variance of the layer's input, ``N×C×1×1`` each.
   An image of more than ``stats_max_pixels`` pixels is downscaled first
   (area-like: bilinear with antialiasing) to fit, so this pass never costs
   more memory than an untiled pass at that size; its statistics are then
   those of the downscaled image's features, an approximation.
2. *Apply*: every window runs with hooks that replace each layer's output
   by ``(x - mean) / sqrt(var + eps)`` (times ``weight`` plus ``bias`` for
   an affine layer) with the recorded values. Inside a window, away from
   its borders, every layer then sees what it saw in the whole-image pass
   and gives the same output.

Cost: the record pass (at most ``stats_max_pixels``; with the default
1024² that is a 12-megapixel image seen at 1 MP: about 1/12 of an untiled
pass, 1/16 of the tiled work with 256-pixel windows), plus one instance
norm per layer and window that is computed and thrown away (the hook
replaces the layer's output; convolutions cost far more). Memory: the
record pass's activations at that size (freed before tiling), and two
``C``-vectors per layer and image.

Layers that normalise with running statistics (``track_running_stats=True``
in eval mode) already use global values and are left alone.
"""
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from toolbox.models.utils.tiling import pad_to_multiple, tiled_forward
from toolbox.tile_windows import (DEFAULT_TILE_BATCH, DEFAULT_TILE_BLEND,
                                  DEFAULT_TILE_OVERLAP)

#: Values of ``test_cfg.tile_norm_stats`` (``tools/infer.py
#: --tile-norm-stats``): ``'image'`` normalises every window with the whole
#: image's statistics, ``'window'`` with the window's own (before).
TILE_NORM_STATS = ('image', 'window')
DEFAULT_TILE_NORM_STATS = 'image'
#: The record pass sees at most this many pixels (a larger image is
#: downscaled for it): bounds its memory like the tiles do.
DEFAULT_STATS_MAX_PIXELS = 1024 * 1024

_INSTANCE_NORMS = (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)


def self_normalising_layers(network: nn.Module) -> List[nn.Module]:
    """The instance-norm layers of ``network`` that normalise by their
    input's own statistics (all of them in training; in eval those without
    running statistics)."""
    return [
        m for m in network.modules() if isinstance(m, _INSTANCE_NORMS) and (
            m.training or not m.track_running_stats)
    ]


def _normalise(layer: nn.Module, x: torch.Tensor, mean: torch.Tensor,
               var: torch.Tensor) -> torch.Tensor:
    out = (x - mean.to(x.dtype)) * torch.rsqrt(var.to(x.dtype) + layer.eps)
    if layer.affine:
        shape = (1, -1) + (1, ) * (x.dim() - 2)
        out = out * layer.weight.view(shape) + layer.bias.view(shape)
    return out


class InstanceNormStatistics:
    """Per-layer input mean and variance of a network's instance norms,
    recorded on one pass and then imposed on later passes.

    Args:
        layers: the layers to record and impose
            (:func:`self_normalising_layers`).
    """

    def __init__(self, layers: List[nn.Module]):
        self.layers = list(layers)
        self.stats: Dict[nn.Module, Tuple[torch.Tensor, torch.Tensor]] = {}

    @contextmanager
    def _hooks(self, hook) -> Iterator[None]:
        handles = [layer.register_forward_hook(hook) for layer in self.layers]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()

    @torch.no_grad()
    def record(self, forward_fn: Callable[[torch.Tensor], object],
               image: torch.Tensor) -> None:
        """Run ``forward_fn(image)`` and keep every layer's input statistics
        (``N×C×1…``, float32; ``image`` is what the whole-image pass would
        see: padded, in the network's range)."""
        self.stats = {}

        def keep(layer, inputs, output):
            if layer in self.stats:
                raise RuntimeError(
                    f'{type(layer).__name__} ran twice in one pass: a layer '
                    'used more than once has no single statistics to share')
            x = inputs[0].float()
            dims = tuple(range(2, x.dim()))
            self.stats[layer] = (x.mean(dims, keepdim=True),
                                 x.var(dims, unbiased=False, keepdim=True))

        with self._hooks(keep):
            forward_fn(image)

    @contextmanager
    def imposed(self) -> Iterator[None]:
        """Within: every layer normalises with the recorded statistics
        (broadcast over a batch of windows of one image)."""
        missing = [layer for layer in self.layers if layer not in self.stats]
        if missing:
            raise RuntimeError(f'{len(missing)} instance-norm layers have no '
                               'recorded statistics (run record first)')

        def replace(layer, inputs, output):
            mean, var = self.stats[layer]
            return _normalise(layer, inputs[0], mean, var)

        with self._hooks(replace):
            yield


def statistics_input(image: torch.Tensor, pad_multiple: int,
                     max_pixels: int) -> torch.Tensor:
    """What the record pass runs on: ``image`` (``1×C×H×W``) padded to
    ``pad_multiple`` as the whole-image pass pads it; above
    ``max_pixels``, downscaled (bilinear, antialiased) to fit first, with
    sides that stay multiples of ``pad_multiple``."""
    height, width = image.shape[-2:]
    if height * width > max_pixels:
        scale = (max_pixels / (height * width))**0.5
        size = [max(pad_multiple,
                    int(side * scale) // pad_multiple * pad_multiple)
                for side in (height, width)]
        image = F.interpolate(image, size=size, mode='bilinear',
                              align_corners=False, antialias=True)
    return pad_to_multiple(image, pad_multiple)


def tiled_forward_image_statistics(
        forward_fn: Callable[[torch.Tensor], torch.Tensor],
        network: nn.Module,
        inputs: torch.Tensor,
        tile_size: int,
        tile_overlap: int = DEFAULT_TILE_OVERLAP,
        pad_multiple: int = 1,
        tile_blend: float = DEFAULT_TILE_BLEND,
        tile_batch: int = DEFAULT_TILE_BATCH,
        stats_max_pixels: int = DEFAULT_STATS_MAX_PIXELS) -> torch.Tensor:
    """:func:`~toolbox.models.utils.tiling.tiled_forward`, with every window
    of an image normalised by that image's instance-norm statistics.

    ``forward_fn`` runs ``network`` (whose instance norms are hooked); the
    other arguments are those of ``tiled_forward``, plus
    ``stats_max_pixels``: the most pixels the record pass sees (a larger
    image is downscaled for it). A network without self-normalising
    instance norms, and an image that fits one window (run whole, with its
    own statistics), are tiled as before. Each image of the batch is
    recorded and tiled on its own (its windows share its statistics).
    """
    layers = self_normalising_layers(network)
    height, width = inputs.shape[-2:]
    if not layers or (height <= tile_size and width <= tile_size):
        return tiled_forward(forward_fn, inputs, tile_size, tile_overlap,
                             pad_multiple, tile_blend, tile_batch)
    if stats_max_pixels <= 0:
        raise ValueError('stats_max_pixels must be positive, got '
                         f'{stats_max_pixels}')
    statistics = InstanceNormStatistics(layers)
    outputs = []
    for n in range(inputs.shape[0]):
        image = inputs[n:n + 1]
        statistics.record(
            forward_fn,
            statistics_input(image, pad_multiple, stats_max_pixels))
        with statistics.imposed():
            outputs.append(
                tiled_forward(forward_fn, image, tile_size, tile_overlap,
                              pad_multiple, tile_blend, tile_batch))
    return torch.cat(outputs)


__all__ = ['TILE_NORM_STATS', 'DEFAULT_TILE_NORM_STATS',
           'DEFAULT_STATS_MAX_PIXELS', 'self_normalising_layers',
           'InstanceNormStatistics', 'statistics_input',
           'tiled_forward_image_statistics']
