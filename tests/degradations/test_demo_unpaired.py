"""The unpaired rain set of the GAN demos, dead leaves and realistic rain
(toolbox/degradations/{demo_unpaired,dead_leaves}.py, rain.add_real_rain)."""
import hashlib

import cv2
import numpy as np
import pytest

from tests.helpers import png_files, run_tool_in_process
from toolbox.degradations.dead_leaves import dead_leaves, sample_radii
from toolbox.degradations.demo_unpaired import (DEAD_LEAVES_SHARE, HELD_OUT,
                                                PHOTOS, ContentSource,
                                                _photos, _region,
                                                constant_shift_floor,
                                                content_plan,
                                                held_out_cast_parts,
                                                held_out_name,
                                                make_unpaired_rain,
                                                resize_area)
from toolbox.degradations.folder_synthesis import item_rng
from toolbox.degradations.rain import add_real_rain


@pytest.fixture(scope='module')
def unpaired(tmp_path_factory):
    root = tmp_path_factory.mktemp('unpaired')
    counts = make_unpaired_rain(str(root), seed=3, size=48, num_train=10,
                                num_test=4, progress=False)
    return root, counts


def test_layout_counts_and_seeded_bytes(unpaired, tmp_path):
    root, counts = unpaired
    assert counts == {'unpaired/rain/train/rainy': 10,
                      'unpaired/rain/train/clean': 10,
                      'unpaired/rain/test/input': 4,
                      'unpaired/rain/test/target': 4,
                      'unpaired/rain/probe/rainy': 10}
    again = tmp_path / 'again'
    make_unpaired_rain(str(again), seed=3, size=48, num_train=10, num_test=4,
                       progress=False)
    assert png_files(root) == png_files(again)
    other = tmp_path / 'other'
    make_unpaired_rain(str(other), seed=4, size=48, num_train=10, num_test=4,
                       progress=False)
    assert png_files(root) != png_files(other)


def test_an_image_does_not_depend_on_how_many_are_made(unpaired, tmp_path):
    """Per-image draws: a larger set holds the smaller set's files."""
    root, _ = unpaired
    larger = tmp_path / 'larger'
    make_unpaired_rain(str(larger), seed=3, size=48, num_train=14,
                       num_test=6, progress=False)
    small, large = png_files(root), png_files(larger)
    assert all(large[name] == data for name, data in small.items())


def test_domains_hold_other_content(unpaired):
    """No clean crop is the clean version of a rainy one: the clean version
    of each rainy crop (regenerated from its draw) differs from the clean
    crop of the same name, while the rainy crop is close to it."""
    root, _ = unpaired
    train = root / 'unpaired' / 'rain' / 'train'
    content = ContentSource(seed=3, size=48)
    for rainy in (train / 'rainy').glob('*.png'):
        name = rainy.stem
        own = content.clean('rainy', name,
                            item_rng(3, f'unpaired/rain/rainy/{name}'))
        image = cv2.imread(str(rainy))[..., ::-1].astype(float)
        other = cv2.imread(str(train / 'clean' / rainy.name))[
            ..., ::-1].astype(float)
        # Rain brightens; the structure (mean-free) follows the own crop.

        def centred(x):
            return x - x.mean((0, 1))
        own_error = np.abs(centred(image) - centred(own)).mean()
        other_error = np.abs(centred(image) - centred(other)).mean()
        assert own_error < other_error, name
        assert not np.array_equal(own, other), name
    clean = {hashlib.md5(p.read_bytes()).hexdigest()
             for p in (train / 'clean').glob('*.png')}
    assert len(clean) == 10


def test_probe_pairs_are_the_clean_crops_with_their_own_rain(unpaired):
    """probe/rainy/X is train/clean/X with rain drawn from X's probe key:
    pairs of the training rain model (the supervised probe's), unlike
    train/rainy, which holds other content."""
    root, _ = unpaired
    rain = root / 'unpaired' / 'rain'
    names = sorted(p.name for p in (rain / 'probe' / 'rainy').glob('*.png'))
    assert names == sorted(p.name for p in
                           (rain / 'train' / 'clean').glob('*.png'))
    for name in names:
        clean = cv2.imread(str(rain / 'train' / 'clean' / name))[..., ::-1]
        probe = cv2.imread(str(rain / 'probe' / 'rainy' / name))[..., ::-1]
        rng = item_rng(3, f'unpaired/rain/probe/{name[:-4]}')
        assert np.array_equal(probe, add_real_rain(clean.copy(), rng)), name


def test_cast_parts_replay_the_written_pairs(unpaired):
    """held_out_cast_parts replays each test pair's draws: its rain cast is
    the one of the files written, and the rain is the veil plus streaks
    that only brighten (a screen blend) over it."""
    root, _ = unpaired
    test = root / 'unpaired' / 'rain' / 'test'
    parts = held_out_cast_parts(seed=3, size=48, num_test=4)

    def mean(path):
        return cv2.imread(str(path))[..., ::-1].astype(float).mean((0, 1))
    written = np.array([
        mean(test / 'input' / f'{held_out_name(i)}.png') -
        mean(test / 'target' / f'{held_out_name(i)}.png') for i in range(4)])
    assert np.allclose(parts['rain'], written)
    assert np.allclose(parts['veil'] + parts['streaks'], parts['rain'])
    assert (parts['veil'] != 0).all() and (parts['streaks'] > -0.5).all()
    assert (parts['streaks'] > 1).any()


def test_constant_shift_floor_removes_the_median_offset():
    casts = np.array([[0., 10, 5], [2, 12, 5], [4, 20, 5]])
    # Medians 2, 12, 5: |−2|, |0|, |2| | |−2|, |0|, |8| | 0, 0, 0.
    assert constant_shift_floor(casts) == pytest.approx((4 + 10) / 9)


def test_analyze_tool_checks_the_folder_it_explains(unpaired, repo_root):
    root, _ = unpaired
    args = ['--size', '48', '--num-test', '4', '--data-root', root]
    code, out = run_tool_in_process(repo_root, 'tools/analyze_demo_rain.py',
                                    ['--seed', '3'] + args)
    assert code == 0, out
    assert '| the veil alone |' in out and 'checked:' in out
    code, out = run_tool_in_process(repo_root, 'tools/analyze_demo_rain.py',
                                    ['--seed', '4'] + args)
    assert code == 2 and 'does not hold the 4 pairs' in out
    assert str(root / 'unpaired' / 'rain' / 'test') in out


def test_test_pairs_come_from_the_held_out_part():
    """The test crops are cut from the right HELD_OUT of each photograph,
    the training crops from the rest: the regions do not overlap and cover
    the photograph."""
    for name, photo in _photos().items():
        train, test = _region(photo, False), _region(photo, True)
        assert train.shape[1] + test.shape[1] == photo.shape[1]
        assert abs(test.shape[1] / photo.shape[1] - HELD_OUT) < 0.01
        assert np.array_equal(np.concatenate([train, test], 1), photo)


def test_content_plan_mixes_the_domains_alike():
    names = content_plan(100)
    leaves = sum(n.startswith('leaves_') for n in names)
    assert abs(leaves / 100 - DEAD_LEAVES_SHARE) <= 0.02
    photos = [n.rsplit('_', 1)[0] for n in names if not
              n.startswith('leaves_')]
    counts = [photos.count(p) for p in PHOTOS]
    assert max(counts) - min(counts) <= 1


def test_dead_leaves_radii_follow_the_power_law():
    """Density ∝ r⁻³ on [1, 10]: P(r ≤ 2) = (1 − 1/4) / (1 − 1/100)."""
    radii = sample_radii(np.random.default_rng(0), 200000, 1.0, 10.0)
    assert radii.min() >= 1.0 and radii.max() <= 10.0
    assert abs(np.mean(radii <= 2.0) - 0.75 / 0.99) < 0.005


def test_dead_leaves_use_the_palette_and_are_seeded():
    palette = np.array([[255, 0, 0], [0, 0, 255]], np.float64)
    first = dead_leaves(64, np.random.default_rng(1), palette, blur=0)
    again = dead_leaves(64, np.random.default_rng(1), palette, blur=0)
    assert np.array_equal(first, again)
    assert (first[..., 1] == 0).all()  # only red and blue (shaded) discs
    assert (first[..., 0] > 0).mean() > 0.1 and (first[..., 2] > 0).mean() \
        > 0.1


def test_real_rain_brightens_veils_and_streaks():
    rng = np.random.default_rng(0)
    clean = np.full((96, 96, 3), 60, np.uint8)
    rainy = add_real_rain(clean, rng).astype(float)
    assert (rainy >= 60).all()  # screen blend and veil towards bright air
    # The veil is stronger at the top (farther) than at the bottom.
    assert np.median(rainy[:10]) > np.median(rainy[-10:])
    # Streaks: far brighter than the veil somewhere, oriented (not noise).
    assert rainy.max() > np.median(rainy) + 30


def test_resize_area_keeps_the_mean_and_the_size():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (150, 150, 3)).astype(np.uint8)
    small = resize_area(image, 48)
    assert small.shape == (48, 48, 3)
    assert np.abs(small.mean((0, 1)) - image.mean((0, 1))).max() < 1.5
    # Anti-aliased: white noise averages out instead of aliasing through.
    assert small.std() < image.std() / 2
