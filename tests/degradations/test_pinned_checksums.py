"""The seeded synthesis gives the same bytes from version to version.

One sha256 of the uint8 output per degradation kind, on a small image
computed from a formula (no library in the way), pinned below. A failing
test means the output of a seed changed, so datasets synthesised before and
after the change differ: if the change is intended, re-pin the value (and
say so in the change's description, and bump the ``DATA_VERSION`` of the
demo data builders it changes); if not, the message names what else it
depends on. NumPy does not promise the same draws from ``Generator``
distributions across versions (NEP 19); the filters are float64 NumPy
arithmetic (:mod:`toolbox.degradations.filtering`), so OpenCV's version
matters only to the JPEG codec (libjpeg-turbo inside its wheel).
Pinned with NumPy 2.4.6; the same values came out with OpenCV 4.12.0,
5.0.0 and 5.1.0 (haze and rain re-pinned when the filters left OpenCV;
real_haze re-pinned when it gained JPEG compression).
"""
import hashlib

import numpy as np
import pytest

from toolbox.degradations import (add_gaussian_blur, add_gaussian_noise,
                                  add_haze, add_hybrid_distortion,
                                  add_motion_blur, add_rain, jpeg_compress)
from toolbox.degradations.blur import add_nonuniform_blur
from toolbox.degradations.dead_leaves import dead_leaves
from toolbox.degradations.folder_synthesis import item_rng
from toolbox.degradations.hybrid import hybrid_patches
from toolbox.degradations.haze import add_real_haze
from toolbox.degradations.rain import add_real_rain

NUMPY = 'NumPy Generator draws (numpy version)'
FILTER = 'the float64 filters of toolbox.degradations.filtering'
JPEG = "OpenCV's JPEG encoder/decoder (libjpeg-turbo inside opencv)"
RESIZE = 'the MATLAB-style bicubic resize (toolbox.evaluation.matlab)'


def clean_image(height=40, width=48):
    """A textured RGB uint8 image from integer arithmetic only."""
    y, x = np.mgrid[:height, :width]
    red = (x * 7 + y * 3) % 256
    green = (x * x + 3 * y * y + 17 * x * y) % 256
    blue = 128 + ((x // 6 + y // 5) % 2) * 100 - (x + y)
    return np.stack([red, green, blue], axis=-1).clip(0, 255).astype(
        np.uint8)


def rng():
    return np.random.default_rng(1)


def hybrid(level):
    def run(img):
        return add_hybrid_distortion(img, rng(), level)[0]
    return run


def patches(img):
    """RL-Restore's sample generation: three scales, 16×16 crops."""
    out = hybrid_patches(img, rng(), 'moderate', patch=16, stride=24)
    return [(suffix.encode(), degraded, clean)
            for suffix, degraded, clean in out]


CASES = {
    # kind: (function of the clean image, what else its bytes depend on)
    'haze': (lambda img: add_haze(img, rng()), [NUMPY, FILTER]),
    'rain': (lambda img: add_rain(img, rng()), [NUMPY, FILTER]),
    'real_rain': (lambda img: add_real_rain(img, rng()), [NUMPY, FILTER]),
    'dead_leaves': (lambda img: dead_leaves(40, rng(), img.reshape(-1, 3)),
                    [NUMPY, FILTER]),
    'motion_blur': (lambda img: add_motion_blur(img, rng()), [NUMPY, FILTER]),
    'real_haze': (lambda img: add_real_haze(img, rng()),
                  [NUMPY, FILTER, JPEG]),
    'nonuniform_blur': (lambda img: add_nonuniform_blur(img, rng()),
                        [NUMPY, FILTER]),
    'gaussian_blur': (lambda img: add_gaussian_blur(img, 1.5), [FILTER]),
    'noise': (lambda img: add_gaussian_noise(img, 15.0, rng()), [NUMPY]),
    'jpeg': (lambda img: jpeg_compress(img, 30), [JPEG]),
    'hybrid_mild': (hybrid('mild'), [NUMPY, FILTER, JPEG]),
    'hybrid_moderate': (hybrid('moderate'), [NUMPY, FILTER, JPEG]),
    'hybrid_severe': (hybrid('severe'), [NUMPY, FILTER, JPEG]),
    'hybrid_patches': (patches, [NUMPY, FILTER, JPEG, RESIZE]),
    # tools/synthesize.py seeds each image from (seed, its name)
    'folder_item_haze': (lambda img: add_haze(img, item_rng(0, '0801_x2')),
                         [NUMPY, FILTER]),
}

#: sha256 of each kind's output (see :func:`digest`)
PINNED = {
    'haze':
        'b98e41851d3aad277dffb8c5c372be59fa4d414303c07163338d5ab1d8955458',
    'rain':
        '2c5125906c77f095692b44911ee1df4341cd1f7fb69ec3c51340b21691d76462',
    'real_rain':
        'addd80799b72aa7a9a43b3ff67f68f988499362418801cb0b0c8195116aae3d6',
    'dead_leaves':
        'a4351ae19ae3cdf7a366f410e2da129208301061ab8c439093c9679191ae8872',
    'motion_blur':
        '4564f9f588bdde01b3b99d877a606cc2ea1642fe164645e6726299ede06f6efa',
    'real_haze':
        '9b057de91d24c9a56c7db99f80f121566127e78aa771eebc6c61ccdd7fcae347',
    'nonuniform_blur':
        '611f71e76e801220202fd81e3875b81b49c9a3e90e0fa55a2f3615c7bb68281b',
    'gaussian_blur':
        'c8693a8ead8ff41554b87530470802143a77c0356484e5e7ed27d689a228f39d',
    'noise':
        'be10be122e51108bdef1d915ca24f4ed38068f9d92f42def61039a653c8eecd5',
    'jpeg':
        'ab89677a19a835dc5e2bd79997997edaa22241131ad9f21fd8b99e196ec73ae8',
    'hybrid_mild':
        'd7f3b431aa01331c491a65ddc95d627deaacc492c10c6c138885501861f97fed',
    'hybrid_moderate':
        'd09c13f492df4024a86448f8d637399ed88175a3a978ebba583a96a1e291adb5',
    'hybrid_severe':
        'e543e148f6958ed647cad087354e780544380e3935a3c030cf0daf82272afe5a',
    'hybrid_patches':
        'cf77a8ce00e515cd39d0dbc3fee12bf4802edd3a587e092b0bed5821e2288342',
    'folder_item_haze':
        'ff3bc09f271fcf398fad1c7649ef197c95024a08de8407fdf9dfc30e4e133053',
}


def digest(out) -> str:
    """sha256 over the bytes (and shapes) of an array or a list of them."""
    h = hashlib.sha256()
    items = out if isinstance(out, list) else [out]
    for item in items:
        for part in (item if isinstance(item, tuple) else (item, )):
            if isinstance(part, np.ndarray):
                assert part.dtype == np.uint8
                h.update(str(part.shape).encode())
                part = np.ascontiguousarray(part).tobytes()
            h.update(part)
    return h.hexdigest()


def test_every_kind_is_pinned():
    assert set(PINNED) == set(CASES)


def test_the_clean_image_is_textured():
    img = clean_image()
    assert img.shape == (40, 48, 3) and len(np.unique(img)) > 100


@pytest.mark.parametrize('kind', sorted(CASES))
def test_seeded_synthesis_is_pinned(kind):
    fn, depends_on = CASES[kind]
    pinned = PINNED[kind]
    img = clean_image()
    out = fn(img)
    got = digest(out)
    assert got == digest(fn(img.copy()))  # seeded: the same twice
    assert got == pinned, (
        f'{kind}: the seeded synthesis changed (sha256 {got}, pinned '
        f'{pinned}). Intended? Re-pin it in {__name__}, and bump the '
        f'DATA_VERSION of the demo data builders that use it, so that '
        f'tools/demo.py rebuilds older data/demo folders '
        f'(toolbox/degradations/demo_stamp.py). Not intended? Look '
        f'at toolbox/degradations, then at what it depends on: '
        f'{"; ".join(depends_on)}.')
