"""The plain residual block of restoration networks.

``x + conv(act(conv(x)))`` with no normalisation and no activation after
the sum: the block of EDSR (Lim et al., CVPRW 2017), the "ResBlock" FDR-Net
uses in its auxiliary branch and its ablation baseline, and what many
restoration backbones mean by a residual block (He et al.'s block minus
batch norm).
"""
from torch import nn

from toolbox.models.layers.attention import same_conv


class ResBlock(nn.Module):
    """``x + res_scale · conv2(act(conv1(x)))``.

    Args:
        channels: input (and output) channels.
        kernel_size: size of both convolutions (padding keeps the size).
        bias: whether the convolutions have biases.
        res_scale: factor of the residual branch (EDSR uses 0.1 for its
            widest models; 1 elsewhere).

    ``2·(k²C² + C)`` parameters with biases (18,496 for C = 32, k = 3).
    """

    def __init__(self, channels: int, kernel_size: int = 3, bias: bool = True,
                 res_scale: float = 1.0):
        super().__init__()
        self.conv1 = same_conv(channels, channels, kernel_size, bias)
        self.act = nn.ReLU(inplace=True)
        self.conv2 = same_conv(channels, channels, kernel_size, bias)
        self.res_scale = res_scale

    def forward(self, x):
        out = self.conv2(self.act(self.conv1(x)))
        if self.res_scale != 1:
            out = out * self.res_scale
        return x + out


__all__ = ['ResBlock']
