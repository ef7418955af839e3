import hashlib
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import smooth_image
from toolbox.degradations import (HYBRID_LEVELS, add_gaussian_blur,
                                  add_gaussian_noise,
                                  add_haze, add_hybrid_distortion,
                                  add_motion_blur, add_rain, jpeg_compress,
                                  line_kernel, patch_grid)
from toolbox.degradations.demo_set import make_demo_set


@pytest.fixture
def image():
    return smooth_image(np.random.default_rng(0), 48)


@pytest.mark.parametrize('fn', [add_haze, add_rain, add_motion_blur])
def test_synthesis_is_seeded(image, fn):
    a = fn(image, np.random.default_rng(3))
    b = fn(image, np.random.default_rng(3))
    c = fn(image, np.random.default_rng(4))
    assert a.dtype == np.uint8 and a.shape == image.shape
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, image)


def test_haze_follows_scattering_model():
    clean = np.zeros((8, 8, 3), np.uint8)  # black scene: I = A(1 - t)
    depth = np.full((8, 8), 0.5, np.float32)
    hazy = add_haze(clean, np.random.default_rng(0), beta=(1.0, 1.0),
                    airlight=(0.8, 0.8), depth=depth)
    expected = round(0.8 * (1 - np.exp(-0.5)) * 255)
    assert np.all(hazy == expected)


def test_rain_only_brightens(image):
    rainy = add_rain(image, np.random.default_rng(0))
    assert np.all(rainy.astype(int) >= image.astype(int))


def test_kernels_and_blur_preserve_mean_brightness(image):
    kernel = line_kernel(9, 30.0)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-5)
    flat = np.full((16, 16, 3), 100, np.uint8)
    assert np.all(add_gaussian_blur(flat, 2.0) == 100)
    assert np.array_equal(add_gaussian_blur(image, 0.0), image)


def test_noise_level_and_jpeg_quality(image):
    flat = np.full((64, 64, 3), 128, np.uint8)
    noisy = add_gaussian_noise(flat, 10.0, np.random.default_rng(0))
    assert noisy.astype(float).std() == pytest.approx(10.0, rel=0.1)
    assert np.abs(jpeg_compress(image, 95).astype(int) - image).mean() < \
        np.abs(jpeg_compress(image, 10).astype(int) - image).mean()


def test_hybrid_levels_follow_rl_restore_bins(image):
    from toolbox.degradations.hybrid import (RL_RESTORE_BINS,
                                             level_combinations,
                                             sample_hybrid_params)
    # generate_train.m: moderate = level sums 12..17 of 10 bins each
    combos = level_combinations(12, 17)
    assert all(12 <= sum(t) - 2 <= 17 for t in combos)
    assert (1, 4, 10) in combos and (10, 4, 1) in combos
    assert len(combos) == len(set(combos))
    rng = np.random.default_rng(0)
    for level, (low, high) in HYBRID_LEVELS.items():
        for _ in range(20):
            p = sample_hybrid_params(rng, level)
            assert low <= sum(p['bins']) - 2 <= high
            b, n, j = p['bins']
            edges = RL_RESTORE_BINS
            assert edges['blur'][b - 1] <= p['blur_sigma'] <= edges['blur'][b]
            assert edges['noise'][n - 1] <= p['noise_sigma'] <= \
                edges['noise'][n]
            assert edges['jpeg'][j] <= p['jpeg_quality'] <= \
                edges['jpeg'][j - 1]
    assert max(sample_hybrid_params(rng, 'severe')['blur_sigma']
               for _ in range(50)) <= 5.0
    out, params = add_hybrid_distortion(image, np.random.default_rng(0),
                                        'severe')
    assert out.shape == image.shape and out.dtype == np.uint8
    again, _ = add_hybrid_distortion(image, np.random.default_rng(0),
                                     'severe')
    assert np.array_equal(out, again)
    mild = np.mean([np.abs(add_hybrid_distortion(
        image, np.random.default_rng(s), 'mild')[0].astype(int) - image).mean()
        for s in range(5)])
    severe = np.mean([np.abs(add_hybrid_distortion(
        image, np.random.default_rng(s), 'severe')[0].astype(int) -
        image).mean() for s in range(5)])
    assert mild < severe
    with pytest.raises(KeyError, match='mild'):
        add_hybrid_distortion(image, np.random.default_rng(0), 'extreme')
    assert list(patch_grid(130, 70)) == [(0, 0), (63, 0)]
    assert list(patch_grid(200, 63, 63, 96)) == [(0, 0), (96, 0)]


def test_hybrid_patches_scales_and_stride(image):
    from toolbox.degradations import hybrid_patches
    big = np.tile(image, (4, 4, 1))  # 192×192
    out = list(hybrid_patches(big, np.random.default_rng(0), 'moderate'))
    # ×1: corners 0, 96 per axis; ×2/3 (128): 0; ×1/3 (64): 0
    assert [name for name, _, _ in out] == [
        's1_0000_0000', 's1_0000_0096', 's1_0096_0000', 's1_0096_0096',
        's2_0000_0000', 's3_0000_0000']
    assert all(d.shape == c.shape == (63, 63, 3) for _, d, c in out)
    assert np.array_equal(out[0][2], big[:63, :63])


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob('*.png'))}


def test_demo_set_layout_and_determinism(tmp_path):
    kwargs = dict(size=48, num_train=4, num_test=2, progress=False)
    counts = make_demo_set(str(tmp_path / 'a'), seed=1, **kwargs)
    make_demo_set(str(tmp_path / 'b'), seed=1, **kwargs)
    make_demo_set(str(tmp_path / 'c'), seed=2, **kwargs)
    for degradation in ('haze', 'rain', 'blur'):
        assert counts[f'{degradation}/train'] == 4
        assert counts[f'{degradation}/test'] == 2
        inputs = sorted(p.name for p in (tmp_path / 'a' / degradation /
                                         'test' / 'input').iterdir())
        targets = sorted(p.name for p in (tmp_path / 'a' / degradation /
                                          'test' / 'target').iterdir())
        assert inputs == targets
    assert counts['real/clean'] > 0
    # FDR-Net's hybrid split: the same patches, 4 draws per patch
    assert counts['hybrid/train'] == 4 * 4 and counts['hybrid/test'] == 2 * 4
    hybrid = tmp_path / 'a' / 'hybrid'
    test_names = sorted(p.name for p in (hybrid / 'test' / 'input').iterdir())
    rain_names = sorted(p.name for p in (tmp_path / 'a' / 'rain' / 'test' /
                                         'target').iterdir())
    assert test_names == sorted(f'{n[:-4]}_d{k}.png' for n in rain_names
                                for k in range(4))
    assert _digest(tmp_path / 'a') == _digest(tmp_path / 'b')
    assert _digest(tmp_path / 'a') != _digest(tmp_path / 'c')


def test_synthesize_folder_hybrid_patches(tmp_path):
    import cv2
    from toolbox.degradations.folder_synthesis import synthesize_folder
    (tmp_path / 'clean').mkdir()
    img = smooth_image(np.random.default_rng(1), 130)
    cv2.imwrite(str(tmp_path / 'clean' / '0801.png'), img)
    counts = synthesize_folder(str(tmp_path / 'clean'), str(tmp_path / 'out'),
                               'hybrid', level='mild', progress=False)
    # ×1 (130): corners 0 per axis (stride 96 leaves no room for a second);
    # ×2/3 (87) and ×1/3 (44, too small): one more patch
    assert counts['pairs'] == 2
    names = sorted(p.name for p in (tmp_path / 'out' / 'input').iterdir())
    assert names == ['0801_s1_0000_0000.png', '0801_s2_0000_0000.png']
    counts = synthesize_folder(str(tmp_path / 'clean'), str(tmp_path / 'o2'),
                               'hybrid', level='mild', patch=63, stride=63,
                               scales=[1.0], progress=False)
    assert counts['pairs'] == 4
    names = sorted(p.name for p in (tmp_path / 'o2' / 'input').iterdir())
    assert names[0] == '0801_s1_0000_0000.png'
    assert cv2.imread(str(tmp_path / 'out' / 'target' / names[0])).shape == \
        (63, 63, 3)


def test_side_by_side_pairs_split_and_degrade(tmp_path):
    import cv2
    from toolbox.degradations.folder_synthesis import (
        split_side_by_side, synthesize_side_by_side)
    rng = np.random.default_rng(0)
    rainy, clean = smooth_image(rng, 32), smooth_image(rng, 32)
    (tmp_path / 'src' / 'Rain_Heavy').mkdir(parents=True)
    # DID-MDN: [rainy | clean] in one file (PNG here, to compare exactly)
    cv2.imwrite(str(tmp_path / 'src' / 'Rain_Heavy' / '1.png'),
                np.concatenate([rainy, clean], axis=1)[..., ::-1])
    counts = synthesize_side_by_side(str(tmp_path / 'src'),
                                     str(tmp_path / 'split'), 'none',
                                     progress=False)
    assert counts['pairs'] == 1
    read = lambda p: cv2.imread(str(p))[..., ::-1]  # noqa: E731
    assert np.array_equal(read(tmp_path / 'split/input/Rain_Heavy/1.png'),
                          rainy)
    assert np.array_equal(read(tmp_path / 'split/target/Rain_Heavy/1.png'),
                          clean)
    for out in ('hy_a', 'hy_b'):
        synthesize_side_by_side(str(tmp_path / 'src'), str(tmp_path / out),
                                'hybrid', seed=3, progress=False)
    hy = read(tmp_path / 'hy_a/input/Rain_Heavy/1.png')
    assert not np.array_equal(hy, rainy)
    assert np.array_equal(hy, read(tmp_path / 'hy_b/input/Rain_Heavy/1.png'))
    assert np.array_equal(read(tmp_path / 'hy_a/target/Rain_Heavy/1.png'),
                          clean)
    left, right = split_side_by_side(np.zeros((2, 6, 3)), 'right')
    assert left.shape == right.shape == (2, 3, 3)
    with pytest.raises(ValueError, match='even width'):
        split_side_by_side(np.zeros((2, 5, 3)))


def test_item_rng_uses_the_whole_name():
    from toolbox.degradations.folder_synthesis import item_rng
    a = item_rng(0, 'Rain_Heavy/train2018new/12').random()
    b = item_rng(0, 'Rain_Heavy/train2018new/13').random()
    assert a != b
    # Names of at most 8 bytes keep the generator of the first version.
    old = np.random.default_rng(
        [0, int.from_bytes(b'0801', 'little') % 2**63]).random()
    assert item_rng(0, '0801').random() == old


def test_demo_hybrid_draws_differ(tmp_path):
    import cv2
    make_demo_set(str(tmp_path), seed=0, size=48, num_train=2, num_test=1,
                  progress=False)
    folder = tmp_path / 'hybrid' / 'test' / 'input'
    draws = [cv2.imread(str(p)) for p in sorted(folder.iterdir())]
    assert len(draws) == 4
    assert not any(np.array_equal(draws[0], d) for d in draws[1:])
