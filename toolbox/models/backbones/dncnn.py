"""DnCNN (Zhang et al., "Beyond a Gaussian Denoiser", TIP 2017).

A plain stack of 3×3 convolutions that predicts the residual (the
degradation) and subtracts it from the input. Small and fast: the toolbox
uses it for demos, smoke tests and as a baseline.
"""
from typing import Optional

from torch import nn

from toolbox.registry import BACKBONES


@BACKBONES.register_module()
class DnCNN(nn.Module):
    """DnCNN with global residual learning.

    Args:
        in_channels: channels of the input and output image.
        mid_channels: width of the hidden layers (paper: 64).
        depth: number of convolution layers (paper: 17 for known noise
            levels, 20 for blind denoising).
        norm: ``'bn'`` (the paper's batch norm in the middle layers) or
            ``None`` (better for the tiny batches of demos).
    """

    def __init__(self,
                 in_channels: int = 3,
                 mid_channels: int = 64,
                 depth: int = 17,
                 norm: Optional[str] = 'bn'):
        super().__init__()
        if depth < 2:
            raise ValueError(f'DnCNN needs depth >= 2, got {depth}')
        if norm not in ('bn', None):
            raise ValueError(f"norm must be 'bn' or None, got {norm!r}")
        layers = [
            nn.Conv2d(in_channels, mid_channels, 3, padding=1),
            nn.ReLU(inplace=True)
        ]
        for _ in range(depth - 2):
            layers.append(
                nn.Conv2d(mid_channels, mid_channels, 3, padding=1,
                          bias=norm is None))
            if norm == 'bn':
                layers.append(nn.BatchNorm2d(mid_channels))
            layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Conv2d(mid_channels, in_channels, 3, padding=1))
        self.body = nn.Sequential(*layers)

    def forward(self, x, return_features: bool = False):
        """Restore ``x``; with ``return_features`` also return the residual."""
        residual = self.body(x)
        out = x - residual
        if return_features:
            return out, {'residual': residual}
        return out
