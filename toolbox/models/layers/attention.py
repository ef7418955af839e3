"""Channel attention, shared by the restoration backbones.

Squeeze-and-excitation channel attention (Hu et al., 2018) in the form
RCAN introduced to restoration and MPRNet and FDR-Net reuse: a global mean
per channel, two 1×1 convolutions with a reduction in between, a sigmoid
gate. Attribute names (``conv_du``, ``body``, ``CA``) are those of the
official MPRNet release, so its checkpoints load unchanged.
"""
from torch import nn


def same_conv(in_channels: int, out_channels: int, kernel_size: int,
              bias: bool = False, stride: int = 1) -> nn.Conv2d:
    """A convolution that keeps the spatial size (stride 1, padding k//2)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                     padding=kernel_size // 2, bias=bias)


class ChannelAttention(nn.Module):
    """Gate each channel by ``σ(W2 δ(W1 mean(x)))``.

    Args:
        channels: input (and output) channels.
        reduction: the bottleneck is ``channels // reduction`` wide.
        bias: whether the two 1×1 convolutions have biases.
    """

    def __init__(self, channels: int, reduction: int = 4, bias: bool = False):
        super().__init__()
        self.conv_du = nn.Sequential(
            nn.Conv2d(channels, channels // reduction, 1, bias=bias),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // reduction, channels, 1, bias=bias),
            nn.Sigmoid())

    def forward(self, x):
        return x * self.conv_du(x.mean(dim=(2, 3), keepdim=True))


class ChannelAttentionBlock(nn.Module):
    """conv → act → conv → channel attention, plus the input (RCAN's RCAB,
    MPRNet's CAB).

    Args:
        channels: input (and output) channels.
        kernel_size: size of the two convolutions.
        reduction: channel attention's reduction.
        bias: biases of every convolution.
        act: the activation module (shared if the caller passes one
            instance to several blocks, as MPRNet shares one PReLU).
    """

    def __init__(self, channels: int, kernel_size: int = 3,
                 reduction: int = 4, bias: bool = False,
                 act: nn.Module = None):
        super().__init__()
        self.body = nn.Sequential(
            same_conv(channels, channels, kernel_size, bias),
            act if act is not None else nn.ReLU(inplace=True),
            same_conv(channels, channels, kernel_size, bias))
        self.CA = ChannelAttention(channels, reduction, bias)

    def forward(self, x):
        return self.CA(self.body(x)) + x
