import pytest
import torch

from toolbox.registry import HEADS


def test_projection_maps_widths_and_is_trainable():
    head = HEADS.build(dict(type='ProjectionHead', in_channels=4,
                            out_channels=6))
    x = torch.randn(2, 4, 5, 5)
    y = head(x)
    assert y.shape == (2, 6, 5, 5)
    # a 1x1 conv: each pixel is mapped on its own
    assert torch.allclose(head(x[..., :1, :1]), y[..., :1, :1], atol=1e-6)
    y.sum().backward()
    assert all(p.grad is not None for p in head.parameters())
    mlp = HEADS.build(dict(type='ProjectionHead', in_channels=4,
                           out_channels=6, hidden_channels=3, num_layers=2))
    assert mlp(x).shape == (2, 6, 5, 5) and len(mlp.layers) == 3


def test_projection_rejects_wrong_width():
    head = HEADS.build(dict(type='ProjectionHead', in_channels=4,
                            out_channels=6))
    with pytest.raises(ValueError, match='expects 4 channels'):
        head(torch.randn(1, 5, 2, 2))
    with pytest.raises(ValueError, match='num_layers'):
        HEADS.build(dict(type='ProjectionHead', in_channels=4,
                         out_channels=6, num_layers=3))
