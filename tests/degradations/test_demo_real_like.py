"""The real-world-like sets of the DA demo and their degradations
(toolbox/degradations/demo_real_like.py, haze.add_real_haze,
blur.add_nonuniform_blur)."""
import numpy as np
import pytest

from tests.helpers import png_files
from toolbox.degradations.blur import add_nonuniform_blur, shake_kernel
from toolbox.degradations.demo_real_like import REAL_LIKE, make_real_like
from toolbox.degradations.demo_unpaired import ContentSource
from toolbox.degradations.filtering import correlate
from toolbox.degradations.folder_synthesis import item_rng
from toolbox.degradations.haze import add_real_haze
from toolbox.degradations.noise import jpeg_compress


@pytest.fixture(scope='module')
def real_like(tmp_path_factory):
    root = tmp_path_factory.mktemp('real_like')
    counts = make_real_like(str(root), seed=5, size=48, num_adapt=4,
                            num_clear=6, num_test=3, progress=False)
    return root / 'real_like', counts


def test_layout_counts_and_seeded_bytes(real_like, tmp_path):
    root, counts = real_like
    expected = {f'real_like/adapt/{d}': 4 for d in REAL_LIKE}
    expected['real_like/adapt/clear'] = 6
    for d in REAL_LIKE:
        expected[f'real_like/test/{d}/input'] = 3
        expected[f'real_like/test/{d}/target'] = 3
    assert counts == expected
    make_real_like(str(tmp_path), seed=5, size=48, num_adapt=4, num_clear=6,
                   num_test=3, progress=False)
    assert png_files(root) == png_files(tmp_path / 'real_like')


def test_test_targets_are_the_held_out_content_of_their_inputs(real_like):
    """Each test target is the held-out crop its name draws, and its input
    that crop degraded: the clean versions are there for scoring only."""
    root, _ = real_like
    import cv2
    content = ContentSource(5, 48)
    for d, degrade in REAL_LIKE.items():
        for target in sorted((root / 'test' / d / 'target').glob('*.png')):
            rng = item_rng(5, f'real_like/test/{d}/{target.stem}')
            clean = content.clean('test', target.stem, rng)
            assert np.array_equal(cv2.imread(str(target))[..., ::-1], clean)
            degraded = cv2.imread(str(root / 'test' / d / 'input' /
                                      target.name))[..., ::-1]
            assert np.array_equal(degraded, degrade(clean, rng))
            assert not np.array_equal(degraded, clean)


def test_adaptation_images_are_not_degraded_clear_images(real_like):
    """No clear image is the clean version of a degraded one: the clean
    version of each adaptation image (regenerated from its key) differs
    from every clear image."""
    root, _ = real_like
    import cv2
    content = ContentSource(5, 48)
    clear = [cv2.imread(str(p))[..., ::-1]
             for p in (root / 'adapt' / 'clear').glob('*.png')]
    for d in REAL_LIKE:
        for image in (root / 'adapt' / d).glob('*.png'):
            rng = item_rng(5, f'real_like/adapt/{d}/{image.stem}')
            clean = content.clean('train', image.stem, rng)
            assert not any(np.array_equal(clean, c) for c in clear)


def test_shake_kernel_is_a_normalised_trajectory():
    kernel = shake_kernel(17, np.random.default_rng(0), 12.0)
    assert kernel.shape == (17, 17) and kernel.min() >= 0
    assert kernel.sum() == pytest.approx(1.0)
    ys, xs = np.nonzero(kernel)
    extent = max(ys.max() - ys.min(), xs.max() - xs.min())
    assert 8 <= extent <= 16  # about the asked length, inside the kernel
    centre_y = (kernel.sum(1) * np.arange(17)).sum()
    assert abs(centre_y - 8) < 1.0  # centred: no shift of the image


def test_nonuniform_blur_differs_across_the_frame():
    """Each corner is its own kernel's blur; the kernels differ."""
    image = (np.random.default_rng(1).random((40, 40, 3)) * 255).astype(
        np.uint8)
    out = add_nonuniform_blur(image, np.random.default_rng(2), grid=2)
    rng = np.random.default_rng(2)
    length = (7.0, 17.0)
    kernels = [shake_kernel(19, rng, rng.uniform(*length)) for _ in range(4)]
    corners = [correlate(image, k) for k in kernels]
    assert np.array_equal(out[0, 0], np.round(corners[0][0, 0]).clip(0, 255))
    assert np.array_equal(out[-1, -1],
                          np.round(corners[3][-1, -1]).clip(0, 255))
    assert not np.allclose(kernels[0], kernels[3])
    assert abs(out.mean() - image.mean()) < 2  # blur keeps brightness
    assert out.std() < image.std() * 0.8


def test_real_haze_has_a_colour_cast_and_noise():
    flat = np.full((32, 32, 3), 60, np.uint8)

    def haze(**kwargs):  # the colour and noise checks, before compression
        return add_real_haze(flat, np.random.default_rng(3),
                             jpeg_quality=None, **kwargs)

    hazy = haze(noise=(2.0, 2.0))
    assert (hazy.astype(float) - 60).mean() > 10  # a veil towards light
    means = hazy.reshape(-1, 3).mean(0)
    assert means.max() - means.min() > 1  # the airlight is not grey
    # The same draws without noise: the difference is the noise.
    quiet = haze(noise=(0.0, 0.0))
    assert 1.7 < (hazy.astype(float) - quiet).std() < 2.3
    plain = haze(tint=0.0, noise=(0.0, 0.0))
    means = plain.reshape(-1, 3).mean(0)
    assert means.max() - means.min() < 0.5


def test_real_haze_is_jpeg_compressed_at_a_drawn_quality():
    """The hazy image is compressed last, at a quality drawn after the
    other draws from the asked range (as web photographs are)."""
    image = (np.random.default_rng(4).random((40, 48, 3)) * 255).astype(
        np.uint8)
    compressed = add_real_haze(image, np.random.default_rng(5),
                               jpeg_quality=(40, 60))
    rng = np.random.default_rng(5)
    raw = add_real_haze(image, rng, jpeg_quality=None)
    quality = int(rng.integers(40, 61))
    assert np.array_equal(compressed, jpeg_compress(raw, quality))
    assert not np.array_equal(compressed, raw)
