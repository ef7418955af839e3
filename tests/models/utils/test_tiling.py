"""Tiled inference agrees with untiled inference."""
import pytest
import torch
from torch import nn

from toolbox.models.utils.tiling import (_window_starts, axis_weights,
                                         blend_normaliser, blend_trim,
                                         tiled_forward)
from toolbox.models.backbones.mprnet import MPRNet


def small_conv_net():
    """Two 3×3 convolutions: the receptive field reaches 2 pixels."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(8, 3, 3, padding=1)).eval()


@pytest.mark.parametrize('tile,overlap,blend,batch', [
    (16, 4, 0.0, 1), (16, 8, 0.5, 1), (20, 10, 0.5, 3), (24, 12, 0.25, 4),
    (15, 9, 0.5, 2)])
@torch.no_grad()
def test_equals_untiled_when_receptive_field_fits_the_trim(
        tile, overlap, blend, batch):
    # trim = floor(overlap * (1 - blend) / 2) >= 2, the net's reach.
    assert blend_trim(overlap, blend) >= 2
    net = small_conv_net()
    x = torch.rand(2, 3, 37, 53)
    torch.testing.assert_close(
        tiled_forward(net, x, tile, overlap, tile_blend=blend,
                      tile_batch=batch), net(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('overlap,blend', [(0, 0.5), (8, 1.0)])
@torch.no_grad()
def test_seams_show_when_the_trim_is_below_the_receptive_field(
        overlap, blend):
    # Guards the test above: windows whose cut edges keep weight see the
    # convolutions' zero padding.
    net = small_conv_net()
    x = torch.rand(1, 3, 37, 53)
    assert not torch.allclose(
        tiled_forward(net, x, 16, overlap, tile_blend=blend), net(x),
        atol=1e-3)


@pytest.mark.parametrize('length,tile,overlap', [
    (37, 15, 5), (53, 16, 6), (100, 21, 8), (129, 32, 16), (33, 32, 7),
    (64, 31, 30), (50, 12, 0)])
@pytest.mark.parametrize('blend', [0.0, 0.3, 0.5, 1.0])
def test_window_weights_form_a_partition_of_unity(length, tile, overlap,
                                                  blend):
    starts = _window_starts(length, tile, tile - overlap)
    weights = axis_weights(length, tile, starts, overlap, blend)
    total = blend_normaliser(length, starts, weights)
    # Every pixel has a window with positive weight; image borders keep 1.
    assert total.min() > 0
    assert weights[0][0] == 1 and weights[-1][-1] == 1
    trim = blend_trim(overlap, blend)
    for start, w in zip(starts, weights):
        assert len(w) == tile and w.min() >= 0 and w.max() <= 1
        if start > 0:  # a shared side: its outer trim pixels are unused
            assert torch.all(w[:trim] == 0)
        if start + tile < length:
            assert torch.all(w[tile - trim:] == 0)
    # Neighbours overlapping by exactly `overlap` cross-fade to a sum of
    # one without normalising (cos² + sin² = 1), where no pixel is in more
    # than two windows (tile >= 2 * overlap); only the last window, moved
    # back to end at the border, overlaps more.
    if tile >= 2 * overlap:
        head = total[:starts[-1]]
        torch.testing.assert_close(head, torch.ones_like(head))
    # After normalising, the weights of every pixel sum to one in 2-D too.
    x = torch.rand(1, 2, length, length // 2 + 3)
    out = tiled_forward(lambda t: t * 2 + 1, x, tile, overlap,
                        tile_blend=blend, tile_batch=3)
    torch.testing.assert_close(out, x * 2 + 1, rtol=1e-6, atol=1e-6)


@torch.no_grad()
def test_a_per_window_offset_is_cross_faded_not_stepped():
    """What a global operation (MPRNet's channel attention, instance norm)
    does to tiles: each window's output carries its own offset, here the
    window's mean. Hard stitching (the old behaviour, tile_blend=0) turns
    the offsets into a step at each stitch line; blending spreads each step
    over the ramp, so no pixel-to-pixel jump of the error comes near it."""
    def local_plus_window_mean(t):
        return small_conv_net()(t) + t.mean(dim=(2, 3), keepdim=True)

    rows = torch.linspace(0, 1, 100)[:, None]
    cols = torch.linspace(0, 0.5, 90)[None, :]
    x = (rows + cols).expand(1, 3, 100, 90).contiguous()
    full = local_plus_window_mean(x)
    tile, overlap = 32, 16
    # The largest step a hard cut could make: neighbouring windows' means.
    starts = _window_starts(100, tile, tile - overlap)
    means = [x[..., s:s + tile, :tile].mean().item() for s in starts]
    step = max(abs(a - b) for a, b in zip(means, means[1:]))

    def largest_jump(blend):
        error = tiled_forward(local_plus_window_mean, x, tile, overlap,
                              tile_blend=blend) - full
        return max(error.diff(dim=2).abs().max().item(),
                   error.diff(dim=3).abs().max().item())

    assert largest_jump(0.0) > 0.9 * step  # hard stitching: a step
    # The ramp is overlap / 2 = 8 pixels of raised cosine: steps of at most
    # sin(pi / 16) ~ 0.2 of the offset between pixels.
    assert largest_jump(0.5) < 0.25 * step
    assert largest_jump(1.0) < 0.15 * step


@torch.no_grad()
def test_windows_keep_the_pixel_phase_of_a_downsampling_network():
    """A stride-2 network gives another output for an image shifted by one
    pixel; windows start at multiples of pad_multiple, so tiled equals
    untiled (here tile 21 and overlap 7 would start windows at odd
    columns)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                        nn.ConvTranspose2d(8, 3, 2, stride=2)).eval()
    x = torch.rand(1, 3, 50, 64)
    full = net(x)
    torch.testing.assert_close(
        tiled_forward(net, x, 21, 7, pad_multiple=2, tile_blend=0.5),
        full, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(
        tiled_forward(net, x, 21, 7, pad_multiple=1, tile_blend=0.5), full,
        atol=1e-3)


def test_tile_batch_gives_the_same_result():
    x = torch.rand(2, 3, 45, 61)
    net = small_conv_net()
    with torch.no_grad():
        one = tiled_forward(net, x, 16, 8, tile_batch=1)
        many = tiled_forward(net, x, 16, 8, tile_batch=7)
    torch.testing.assert_close(one, many, rtol=1e-5, atol=1e-6)


def test_large_images_accumulate_in_one_output_buffer():
    """Windows go through forward_fn tile_batch at a time; nothing keeps
    their outputs (memory stays one accumulator plus one batch)."""
    seen = []

    def forward(window):
        seen.append(window.shape[0])
        return window.clone()

    x = torch.rand(1, 3, 70, 90)
    out = tiled_forward(forward, x, 32, 8, tile_batch=4)
    torch.testing.assert_close(out, x)
    assert max(seen) == 4 and sum(seen) == 3 * 4  # 3 rows × 4 columns


def test_every_pixel_gets_its_own_value():
    calls = []

    def forward(window):
        calls.append(tuple(window.shape[-2:]))
        return window * 2 + 1

    x = torch.rand(1, 2, 50, 29)
    out = tiled_forward(forward, x, tile_size=12, tile_overlap=6)
    # Blending divides by the sum of weights: equal up to float rounding.
    torch.testing.assert_close(out, x * 2 + 1, rtol=1e-6, atol=1e-6)
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
    with pytest.raises(ValueError, match='tile_blend'):
        tiled_forward(lambda t: t, x, 4, 2, tile_blend=1.5)
    with pytest.raises(ValueError, match='tile_batch'):
        tiled_forward(lambda t: t, x, 4, 2, tile_batch=0)


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
