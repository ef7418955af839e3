"""FrequencyLoss (DCD-GAN Eq. 5) against numpy's FFT."""
import numpy as np
import pytest
import torch

from toolbox.registry import LOSSES


def build(**kwargs):
    return LOSSES.build(dict(type='FrequencyLoss', **kwargs))


def spectra_diff(x, y, norm='backward'):
    """Real and imaginary parts of rfft2(x) - rfft2(y), float64 numpy."""
    d = np.fft.rfft2(x.astype(np.float64), norm=norm) - \
        np.fft.rfft2(y.astype(np.float64), norm=norm)
    return np.stack([d.real, d.imag], axis=-1)


def pair(seed, shape=(2, 3, 6, 5)):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(*shape, generator=gen), torch.rand(*shape, generator=gen)


@pytest.mark.parametrize('norm', ['backward', 'ortho', 'forward'])
def test_l1_form_is_mean_abs_of_real_and_imaginary_parts(norm):
    x, y = pair(0)
    d = spectra_diff(x.numpy(), y.numpy(), norm)
    assert d.shape == (2, 3, 6, 3, 2)  # one-sided along W
    expected = np.abs(d).mean()
    value = build(norm=norm, loss_weight=0.1)(x, y)
    assert value.item() == pytest.approx(0.1 * expected, rel=1e-5)


def test_released_form_is_batch_mean_of_summed_squares():
    x, y = pair(1)
    d = spectra_diff(x.numpy(), y.numpy())
    expected = (d ** 2).reshape(2, -1).sum(axis=1).mean()
    assert build(form='released')(x, y).item() == pytest.approx(
        expected, rel=1e-5)


def test_float32_under_bfloat16_autocast():
    x, y = pair(2, (1, 3, 8, 8))
    expected = np.abs(spectra_diff(x.numpy(), y.numpy())).mean()
    conv = torch.nn.Conv2d(3, 3, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        conv.bias.zero_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        pred = conv(x)  # bfloat16 under autocast
        assert pred.dtype == torch.bfloat16
        value = build()(pred, y)
    assert value.dtype == torch.float32
    # only the bfloat16 rounding of pred (~3 significant digits) remains
    assert value.item() == pytest.approx(expected, rel=2e-2)
    value.backward()
    assert conv.weight.grad is not None


def test_zero_for_equal_images_and_errors():
    x, _ = pair(3)
    assert build()(x, x.clone()).item() == 0.0
    with pytest.raises(ValueError, match='same N×C×H×W'):
        build()(x, x[..., :4])
    with pytest.raises(ValueError, match='form'):
        build(form='l2')
    with pytest.raises(ValueError, match='norm'):
        build(norm='none')
