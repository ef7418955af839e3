"""Anti-aliased resampling: CUT's values, sizes, constants, state dict."""
import pytest
import torch

from toolbox.models.layers.antialias import (BlurPool2d, BlurUpsample2d,
                                             binomial_filter)
from toolbox.registry import MODELS

# Outputs of CUT's Downsample(1) and Upsample(1) (models/networks.py at
# b3ac297, default arguments), computed once with the official code.
CUT_DOWNSAMPLE_OF_ARANGE_4x5 = [[3.0, 4.5, 6.0], [10.5, 12.0, 13.5]]
CUT_UPSAMPLE_OF_ARANGE_2x3 = [
    [0.00, 0.25, 0.75, 1.25, 1.75, 2.00],
    [0.75, 1.00, 1.50, 2.00, 2.50, 2.75],
    [2.25, 2.50, 3.00, 3.50, 4.00, 4.25],
    [3.00, 3.25, 3.75, 4.25, 4.75, 5.00],
]


def test_binomial_filters():
    torch.testing.assert_close(binomial_filter(3),
                               torch.tensor([[1., 2, 1], [2, 4, 2],
                                             [1, 2, 1]]) / 16)
    f4 = binomial_filter(4)
    torch.testing.assert_close(f4[0] * 64, torch.tensor([1., 3, 3, 1]))
    assert binomial_filter(7).sum().item() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        binomial_filter(0)


def test_blurpool_matches_cut_values():
    x = torch.arange(20.).view(1, 1, 4, 5)
    out = BlurPool2d(1)(x)
    torch.testing.assert_close(out[0, 0],
                               torch.tensor(CUT_DOWNSAMPLE_OF_ARANGE_4x5))


def test_blur_upsample_matches_cut_values():
    x = torch.arange(6.).view(1, 1, 2, 3)
    out = BlurUpsample2d(1)(x)
    torch.testing.assert_close(out[0, 0],
                               torch.tensor(CUT_UPSAMPLE_OF_ARANGE_2x3))


def test_blur_upsample_interior_is_zero_insertion_then_blur():
    """Away from the border, ×2 upsampling = zeros between the pixels, then
    correlation with 4 × the [1,3,3,1]² filter (output pixel 2i+a sees input
    pixels i-1..i+1)."""
    torch.manual_seed(0)
    x = torch.rand(1, 1, 6, 7)
    out = BlurUpsample2d(1)(x)[0, 0]
    zeros = torch.zeros(12, 14)
    zeros[::2, ::2] = x[0, 0]
    kernel = binomial_filter(4) * 4
    # Output pixel o gathers zeros[o - 2 .. o + 1] (a 4-tap window that
    # starts 2 before it; the filter is symmetric).
    for r in range(3, 9):
        for c in range(3, 10):
            window = zeros[r - 2:r + 2, c - 2:c + 2]
            assert out[r, c].item() == pytest.approx(
                (window * kernel).sum().item(), abs=1e-6)


@pytest.mark.parametrize('k', [1, 2, 3, 4, 5])
@pytest.mark.parametrize('size', [(8, 8), (9, 12), (5, 3)])
def test_sizes_and_constants(k, size):
    x = torch.full((2, 3, *size), 0.7)
    down, up = BlurPool2d(3, filter_size=k), BlurUpsample2d(3, filter_size=k)
    h, w = size
    assert down(x).shape == (2, 3, (h + 1) // 2, (w + 1) // 2)
    assert up(x).shape == (2, 3, 2 * h, 2 * w)
    # Normalised filters keep a constant image constant, borders included.
    torch.testing.assert_close(down(x), torch.full_like(down(x), 0.7))
    if k >= 2:  # a 1-tap filter cannot fill the inserted zeros
        torch.testing.assert_close(up(x), torch.full_like(up(x), 0.7))


def test_filters_are_persistent_untrained_buffers():
    """Official CUT/DCD-GAN state dicts hold `filt`; nothing is trainable."""
    down, up = BlurPool2d(8), BlurUpsample2d(4)
    assert list(down.state_dict()) == ['filt']
    assert down.filt.shape == (8, 1, 3, 3)
    assert up.filt.shape == (4, 1, 4, 4)
    assert list(down.parameters()) == [] and list(up.parameters()) == []


def test_depthwise_channels_do_not_mix():
    x = torch.zeros(1, 4, 6, 6)
    x[:, 2] = torch.rand(6, 6)
    for layer in (BlurPool2d(4), BlurUpsample2d(4)):
        out = layer(x)
        assert out[:, [0, 1, 3]].abs().max() == 0
        assert out[:, 2].abs().max() > 0


def test_registered_and_validated():
    assert isinstance(MODELS.build(dict(type='BlurPool2d', channels=2)),
                      BlurPool2d)
    with pytest.raises(ValueError, match='pad_mode'):
        BlurUpsample2d(2, pad_mode='circular')


@pytest.mark.parametrize('size', [(6, 7), (1, 1), (2, 9)])
def test_blur_upsample_fast_path_is_the_filter(size):
    """CUT's setting (4 taps, replicate) runs as bilinear ×2 interpolation;
    it must equal the zero-insertion-and-filter definition everywhere,
    borders included (channels_last too)."""
    torch.manual_seed(0)
    up = BlurUpsample2d(3).double()
    x = torch.rand(2, 3, *size, dtype=torch.float64)
    torch.testing.assert_close(up(x), up.filter_transposed(x), rtol=0,
                               atol=1e-12)
    cl = x.contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(up(cl), up.filter_transposed(x), rtol=0,
                               atol=1e-12)
