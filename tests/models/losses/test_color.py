"""ColorCycleLoss (DCD-GAN Eq. 3) against direct formulas."""
import numpy as np
import pytest
import torch

from toolbox.registry import LOSSES


def build(**kwargs):
    return LOSSES.build(dict(type='ColorCycleLoss', **kwargs))


def per_channel_l1(x, y):
    """Σ_c mean |x_c - y_c|, one channel at a time, in numpy."""
    return sum(np.abs(x[:, c] - y[:, c]).mean() for c in range(x.shape[1]))


def test_paper_form_sums_channel_l1():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 5, 4, generator=gen)
    y = torch.rand(2, 3, 5, 4, generator=gen)
    expected = per_channel_l1(x.numpy(), y.numpy())
    assert build()(x, y).item() == pytest.approx(expected, rel=1e-6)
    assert build(loss_weight=0.5)(x, y).item() == pytest.approx(
        0.5 * expected, rel=1e-6)
    # Equal-size channels: exactly 3 × the plain L1 cycle loss.
    assert build()(x, y).item() == pytest.approx(
        3 * (x - y).abs().mean().item(), rel=1e-6)


def test_released_form_adds_whole_image_l1():
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 4, 4, generator=gen)
    y = torch.rand(1, 3, 4, 4, generator=gen)
    xn, yn = x.numpy(), y.numpy()
    expected = per_channel_l1(xn, yn) + np.abs(xn - yn).mean()
    assert build(form='released', loss_weight=2.0)(x, y).item() == \
        pytest.approx(2.0 * expected, rel=1e-6)


def test_gradient_and_errors():
    x = torch.rand(1, 3, 4, 4, requires_grad=True)
    build()(x, torch.rand(1, 3, 4, 4)).backward()
    assert x.grad is not None
    with pytest.raises(ValueError, match='same N×C×H×W'):
        build()(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 5))
    with pytest.raises(ValueError, match='form'):
        build(form='l2')
