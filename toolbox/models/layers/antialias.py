"""Anti-aliased resampling with fixed binomial filters (Zhang, "Making
Convolutional Networks Shift-Invariant Again", ICML 2019).

CUT (Park et al., ECCV 2020) and DCD-GAN (Chen et al., CVPR 2022), which is
built on CUT's code, use these in their ResNet generator and PatchGAN
discriminator by default:

* :class:`BlurPool2d` (CUT's ``Downsample``): blur with a normalised
  binomial filter (3 taps, ``[1, 2, 1]``), then keep every second pixel.
  Replaces a stride-2 convolution by *stride-1 conv + norm + ReLU +
  BlurPool*.
* :class:`BlurUpsample2d` (CUT's ``Upsample``): insert zeros between the
  pixels (×2), then blur with a binomial filter (4 taps, ``[1, 3, 3, 1]``)
  scaled by 4, so a constant image stays constant. Replaces a transposed
  convolution by *BlurUpsample + stride-1 conv + norm + ReLU*.

The filter is a fixed (never trained) buffer named ``filt`` of shape
``C×1×k×k`` (one copy per channel, a depthwise convolution). It is
*persistent*, i.e. part of the ``state_dict``, because the official CUT and
DCD-GAN networks register it that way: their saved generators and
discriminators hold ``model.<i>.filt`` keys, and a strict load needs them.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from toolbox.registry import MODELS

#: ``pad_mode`` names accepted here, and the ``F.pad`` mode each means.
PAD_MODES = {
    'reflect': 'reflect',
    'refl': 'reflect',
    'replicate': 'replicate',
    'repl': 'replicate',
    'zero': 'constant',
}


def binomial_filter(size: int) -> torch.Tensor:
    """The ``size×size`` binomial filter, normalised to sum 1.

    Rows of Pascal's triangle: 3 → ``[1, 2, 1]``, 4 → ``[1, 3, 3, 1]``; the
    2-D filter is their outer product.
    """
    if size < 1:
        raise ValueError(f'filter size must be >= 1, got {size}')
    taps = torch.tensor([math.comb(size - 1, k) for k in range(size)],
                        dtype=torch.float32)
    kernel = torch.outer(taps, taps)
    return kernel / kernel.sum()


def _pad_mode(pad_mode: str) -> str:
    if pad_mode not in PAD_MODES:
        raise ValueError(f'pad_mode must be one of {sorted(PAD_MODES)}, got '
                         f'{pad_mode!r}')
    return PAD_MODES[pad_mode]


@MODELS.register_module()
class BlurPool2d(nn.Module):
    """Anti-aliased downsampling: binomial blur, then subsampling.

    Output size ``floor((H - 1) / stride) + 1`` for odd filters (``H/2`` for
    even ``H`` at the defaults): the input is padded by ``(k-1)//2`` on the
    top/left and ``ceil((k-1)/2)`` on the bottom/right, then filtered with
    the given stride. Same semantics and ``state_dict`` as CUT's
    ``Downsample`` (``pad_off=0``).

    Args:
        channels: channels of the input (the filter is depthwise).
        filter_size: taps of the binomial filter (CUT: 3).
        stride: subsampling factor (2).
        pad_mode: ``'reflect'`` (CUT), ``'replicate'`` or ``'zero'``.
    """

    def __init__(self, channels: int, filter_size: int = 3, stride: int = 2,
                 pad_mode: str = 'reflect'):
        super().__init__()
        self.channels, self.filter_size, self.stride = \
            channels, filter_size, stride
        self.pad_mode = _pad_mode(pad_mode)
        before, after = (filter_size - 1) // 2, filter_size // 2
        self.padding = (before, after, before, after)
        kernel = binomial_filter(filter_size)
        self.register_buffer(
            'filt', kernel.expand(channels, 1, -1, -1).contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Blur and subsample ``x`` (``N×C×H×W``)."""
        if any(self.padding):
            x = F.pad(x, self.padding, mode=self.pad_mode)
        return F.conv2d(x, self.filt.to(x.dtype), stride=self.stride,
                        groups=self.channels)

    def extra_repr(self) -> str:
        return (f'{self.channels}, filter_size={self.filter_size}, '
                f'stride={self.stride}, pad_mode={self.pad_mode!r}')


@MODELS.register_module()
class BlurUpsample2d(nn.Module):
    """Anti-aliased ×2 upsampling: zero insertion, then binomial blur.

    ``N×C×H×W`` → ``N×C×2H×2W``. Equivalent to placing the input pixels on
    the even positions of a zero grid and filtering with the binomial filter
    times 4 (for ``filter_size >= 2`` each output phase receives half of
    the filter's weight in each direction, so a constant image stays
    constant). At the border
    the input is first extended by one pixel (replicate padding), so the
    edge rows and columns are not darkened. Same semantics and
    ``state_dict`` as CUT's ``Upsample`` (``stride=2``).

    Args:
        channels: channels of the input (the filter is depthwise).
        filter_size: taps of the binomial filter (CUT: 4).
        pad_mode: how the input is extended by one pixel at the border
            before filtering: ``'replicate'`` (CUT), ``'reflect'`` or
            ``'zero'``.
    """

    stride = 2

    def __init__(self, channels: int, filter_size: int = 4,
                 pad_mode: str = 'replicate'):
        super().__init__()
        self.channels, self.filter_size = channels, filter_size
        self.pad_mode = _pad_mode(pad_mode)
        kernel = binomial_filter(filter_size) * self.stride**2
        self.register_buffer(
            'filt', kernel.expand(channels, 1, -1, -1).contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Upsample ``x`` (``N×C×H×W``) to ``N×C×2H×2W``."""
        if self.filter_size == 4 and self.pad_mode == 'replicate':
            # CUT's setting is bilinear ×2 interpolation with half-pixel
            # centres, exactly: each output phase weighs its two nearest
            # inputs 3/4 and 1/4, and the edge clamps like replicate
            # padding (tested against the filter). ATen's bilinear kernel
            # was 2.2-3× faster than the depthwise transposed convolution
            # in bfloat16 (docs/benchmarks.md, DCD-GAN's AMP step).
            return F.interpolate(x, scale_factor=2, mode='bilinear',
                                 align_corners=False)
        return self.filter_transposed(x)

    def filter_transposed(self, x: torch.Tensor) -> torch.Tensor:
        """The definition: zero insertion and the binomial filter, as a
        depthwise transposed convolution (every filter size and padding)."""
        x = F.pad(x, (1, 1, 1, 1), mode=self.pad_mode)
        # The transposed convolution does the zero insertion and filtering;
        # its padding and the crops below remove what the 1-pixel border
        # and the filter's support add, leaving exactly 2H×2W.
        out = F.conv_transpose2d(
            x, self.filt.to(x.dtype), stride=self.stride,
            padding=1 + (self.filter_size - 1) // 2, groups=self.channels)
        out = out[:, :, 1:, 1:]
        if self.filter_size % 2 == 0:
            out = out[:, :, :-1, :-1]
        return out

    def extra_repr(self) -> str:
        return (f'{self.channels}, filter_size={self.filter_size}, '
                f'pad_mode={self.pad_mode!r}')
