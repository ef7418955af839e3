"""Tiled inference agrees with untiled inference."""
import pytest
import torch
from torch import nn

from toolbox.apis.tiling import tiled_forward
from toolbox.models.backbones.mprnet import MPRNet


def small_conv_net():
    """Two 3×3 convolutions: the receptive field reaches 2 pixels."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(8, 3, 3, padding=1)).eval()


@pytest.mark.parametrize('tile,overlap', [(16, 4), (16, 8), (20, 5)])
@torch.no_grad()
def test_equals_untiled_when_receptive_field_fits_the_margin(tile, overlap):
    net = small_conv_net()
    x = torch.rand(2, 3, 37, 53)
    torch.testing.assert_close(tiled_forward(net, x, tile, overlap), net(x),
                               rtol=1e-5, atol=1e-5)


@torch.no_grad()
def test_without_overlap_seams_show():
    # Guards the test above: with no margin the convolutions see the cut.
    net = small_conv_net()
    x = torch.rand(1, 3, 37, 53)
    assert not torch.allclose(tiled_forward(net, x, 16, 0), net(x),
                              atol=1e-3)


def test_every_pixel_written_once_with_its_own_value():
    calls = []

    def forward(window):
        calls.append(tuple(window.shape[-2:]))
        return window * 2 + 1

    x = torch.rand(1, 2, 50, 29)
    out = tiled_forward(forward, x, tile_size=12, tile_overlap=6)
    assert torch.equal(out, x * 2 + 1)
    assert all(h <= 12 and w <= 12 for h, w in calls)
    # Images no larger than a tile run in one pass.
    calls.clear()
    tiled_forward(forward, torch.rand(1, 2, 12, 7), 12, 6)
    assert calls == [(12, 7)]


def test_pad_multiple_pads_each_window_and_crops_back():
    def forward(window):
        h, w = window.shape[-2:]
        assert h % 8 == 0 and w % 8 == 0, (h, w)
        return window[:, :1] * 3  # channel count may change

    x = torch.rand(1, 3, 45, 30)
    out = tiled_forward(forward, x, tile_size=20, tile_overlap=6,
                        pad_multiple=8)
    assert out.shape == (1, 1, 45, 30)
    torch.testing.assert_close(out, x[:, :1] * 3)
    with pytest.raises(AssertionError):
        tiled_forward(forward, x, tile_size=20, tile_overlap=6)


def test_bad_arguments():
    x = torch.rand(1, 3, 8, 8)
    with pytest.raises(ValueError, match='tile_overlap'):
        tiled_forward(lambda t: t, x, 8, 8)
    with pytest.raises(ValueError, match='tile_size'):
        tiled_forward(lambda t: t, x, 0, 0)


@torch.no_grad()
def test_tiny_mprnet_tiled_matches_untiled_away_from_patch_seams():
    """MPRNet cuts its input into halves and quarters, so its output depends
    on where the cuts fall: a tile has its own cuts. Away from every cut the
    tiled and untiled outputs agree; near them they differ (documented)."""
    torch.manual_seed(0)
    net = MPRNet(n_feat=8, scale_unetfeats=4, scale_orsnetfeats=4,
                 num_cab=1).eval()

    def final(t):
        return net(t)[0]

    x = nn.functional.interpolate(torch.rand(1, 3, 8, 12), size=(64, 96),
                                  mode='bilinear', align_corners=False)
    full = final(x)
    # Windows at columns 0 and 32 (full height); cuts of the full image at
    # column 48, of the windows at 32 and 64; all at row 32.
    tiled = tiled_forward(final, x, tile_size=64, tile_overlap=32,
                          pad_multiple=8)
    assert tiled.shape == full.shape
    diff = (tiled - full).abs()
    assert diff[..., :20].max().item() < 3e-3
    assert diff[..., 76:].max().item() < 3e-3
    assert diff.mean().item() < 0.1 * (full - x).abs().mean().item()


def test_restorer_pads_tiles_to_its_preprocessor_divisor():
    """A Restorer with test_cfg tiles hands its pad_size_divisor to every
    window, so a network that needs multiples of 8 sees only those."""
    from toolbox.models.algorithms.restorer import Restorer
    from toolbox.registry import MODELS

    @MODELS.register_module(force=True)
    class NeedsMultipleOf8(torch.nn.Module):
        def forward(self, x):
            assert x.shape[-2] % 8 == 0 and x.shape[-1] % 8 == 0, x.shape
            return x * 2

    model = Restorer(
        generator=dict(type='NeedsMultipleOf8'),
        data_preprocessor=dict(type='RestorationDataPreprocessor',
                               pad_size_divisor=8),
        test_cfg=dict(tile=20, tile_overlap=6))
    x = torch.rand(1, 3, 37, 29)
    torch.testing.assert_close(model.restore(x), x * 2)
