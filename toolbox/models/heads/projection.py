"""Learned projections of feature maps (channel width adapters)."""
from typing import Optional

import torch
from torch import nn

from toolbox.registry import HEADS


@HEADS.register_module()
class ProjectionHead(nn.Module):
    """Map ``N×C_in×H×W`` features to ``C_out`` channels with 1×1 convs.

    Uni-Removal's feature-grained loss compares student and teacher features
    directly, which needs equal widths (the paper trains same-width
    teachers). When the widths differ, a projection of the student's
    features into the teacher's width makes the comparison possible, as
    MAWR's feature projectors do.

    Args:
        in_channels: width of the features it receives (the student's).
        out_channels: width to produce (the teacher's).
        hidden_channels: with ``num_layers=2``, the width between the two
            convs (default ``out_channels``).
        num_layers: 1 (a linear 1×1 conv) or 2 (conv-ReLU-conv).
        bias: convs with bias.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 hidden_channels: Optional[int] = None,
                 num_layers: int = 1,
                 bias: bool = True):
        super().__init__()
        if num_layers not in (1, 2):
            raise ValueError(
                f'ProjectionHead: num_layers must be 1 or 2, got {num_layers}')
        self.in_channels, self.out_channels = in_channels, out_channels
        if num_layers == 1:
            self.layers = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, bias=bias))
        else:
            hidden = hidden_channels or out_channels
            self.layers = nn.Sequential(
                nn.Conv2d(in_channels, hidden, 1, bias=bias),
                nn.ReLU(inplace=True),
                nn.Conv2d(hidden, out_channels, 1, bias=bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project ``x`` (``N×C_in×H×W``) to ``N×C_out×H×W``."""
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f'ProjectionHead expects {self.in_channels} channels, got '
                f'{x.shape[1]}')
        return self.layers(x)
