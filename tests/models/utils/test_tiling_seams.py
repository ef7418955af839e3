"""No seams at tile borders with a trained MPRNet on a real photograph.

``tests/data/mprnet_derain_demo_fp16.pth`` holds the weights of the demo
deraining teacher (``python tools/train.py
configs/uniremoval/teacher_derain_demo.py``, 300 iterations; state dict
only, stored as float16, 0.9 MB). Random weights would not do: a trained
network's channel attention and fixed halves/quarters are what make
windows disagree.

MPRNet is not shift-equivariant: its output near the lines where it cuts
its input into halves and quarters depends on where those lines fall, and
a window has lines of its own (docs/inference.md measures the same
difference between the untiled image and the image shifted by 64 pixels).
So the tests compare tiled with untiled outputs away from those lines, and
there ask what blending is for: no step where one window hands over to the
next.
"""
import os.path as osp

import numpy as np
import pytest
import torch
from skimage import data

from toolbox.apis import init_model, restore_image
from toolbox.models.utils.tiling import _window_starts

HERE = osp.dirname(osp.abspath(__file__))
CONFIG = osp.join(HERE, '..', '..', '..', 'configs', 'uniremoval',
                  'teacher_derain_demo.py')
WEIGHTS = osp.join(HERE, '..', '..', 'data', 'mprnet_derain_demo_fp16.pth')
TILE = 128
#: Pixels either side of an MPRNet cut line left out of the comparison.
NEAR_CUT = 6


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return init_model(CONFIG, WEIGHTS)


def geometry(size: int, overlap: int):
    """Masks along one axis: near an MPRNet cut line (the image's or a
    window's middle), and in a band where two windows overlap (±4 px)."""
    starts = _window_starts(size, TILE, TILE - overlap)
    near_cut = np.zeros(size, bool)
    for cut in {size // 2} | {s + TILE // 2 for s in starts}:
        near_cut[max(0, cut - NEAR_CUT):cut + NEAR_CUT] = True
    band = np.zeros(size, bool)
    for s in starts[1:]:
        band[max(0, s - 4):s + overlap + 4] = True
    return starts, near_cut, band


def largest_jumps(error: np.ndarray, near_cut, band):
    """Largest difference between neighbouring pixels of ``error`` (H×W×C,
    grey levels), away from cut lines: inside the overlap bands and
    outside them."""
    ok = ~near_cut[:-1] & ~near_cut[1:]  # both pixels of the pair
    in_band = band[:-1] & band[1:]
    jx = np.abs(np.diff(error, axis=1))  # [row, col pair]
    jy = np.abs(np.diff(error, axis=0))  # [row pair, col]
    rows = ~near_cut

    def worst(pairs):
        return max(jx[np.ix_(rows, pairs)].max(),
                   jy[np.ix_(pairs, rows)].max())

    return worst(ok & in_band), worst(ok & ~in_band)


def tiled_error(model, size, overlap, corner=(100, 100), **kwargs):
    y, x = corner
    photo = np.ascontiguousarray(data.astronaut()[y:y + size, x:x + size])
    untiled = restore_image(model, photo).astype(np.float64)
    tiled = restore_image(model, photo, tile=TILE, tile_overlap=overlap,
                          **kwargs).astype(np.float64)
    return tiled - untiled


@pytest.mark.parametrize('corner', [(100, 100), (192, 0)])
@torch.no_grad()
def test_default_blending_leaves_no_step_at_tile_borders(model, corner):
    # 320 = 128 + 2 × 96: three windows per axis (default overlap 32), and
    # no cut line of the image (160) or of a window (64, 160, 256) falls
    # into the two overlap bands (96-128, 192-224).
    size, overlap = 320, 32
    _, near_cut, band = geometry(size, overlap)
    error = tiled_error(model, size, overlap, corner)
    at_borders, elsewhere = largest_jumps(error, near_cut, band)
    # Where windows hand over, the tiled-untiled difference changes from
    # pixel to pixel no more than anywhere else (measured: 1-2 grey levels
    # at the borders, 3 elsewhere).
    assert at_borders <= max(elsewhere, 3), (at_borders, elsewhere)
    # Every value more than 8 grey levels off is next to a cut line.
    near = near_cut[:, None] | near_cut[None, :]
    off = np.abs(error) > 8
    assert not off[~near].any(), np.argwhere(off & ~near[..., None])[:5]


@torch.no_grad()
def test_windows_without_overlap_show_a_step(model):
    """Guards the test above: the same measurement sees the step that
    windows cut edge to edge make (each sees zero padding at its edge)."""
    size = 384  # 3 × 128: windows at 0, 128 and 256
    _, near_cut, band = geometry(size, 0)
    error = tiled_error(model, size, 0)
    at_borders, elsewhere = largest_jumps(error, near_cut, band)
    assert at_borders > 20, at_borders  # measured: 80 grey levels
