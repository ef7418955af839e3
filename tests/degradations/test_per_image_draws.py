"""Every image of every synthetic set has its own degradation draw
(issue 31 item 5).

The old defect: a per-image generator seeded from ``int(key) % 2**63``
kept only the key's first 8 bytes, so every image of a split
(``paired/rain/train/...``) drew the same parameters and the same streaks.
Two checks per generator of data: every random generator made while the
set is written starts from its own state (the same state twice is the
same draw), and the degradation residuals (input − target) of two images
are not correlated (identical rain streaks correlate at about 1; own draws
below 0.1 here)."""
import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers import smooth_image
from toolbox.degradations.demo_real_like import make_real_like
from toolbox.degradations.demo_set import make_demo_set
from toolbox.degradations.demo_unpaired import make_unpaired_rain
from toolbox.degradations.folder_synthesis import (item_rng,
                                                   synthesize_folder)

#: Largest |correlation| allowed between two images' residuals.
MAX_CORRELATION = 0.5


@pytest.fixture
def generator_states(monkeypatch):
    """The initial state of every NumPy generator made while the test
    runs (whoever makes it: the per-image helpers or inline code)."""
    made = []
    original = np.random.default_rng

    def recording(*args, **kwargs):
        rng = original(*args, **kwargs)
        made.append(repr(rng.bit_generator.state))
        return rng
    monkeypatch.setattr(np.random, 'default_rng', recording)
    return made


def assert_all_distinct(states, at_least):
    assert len(states) >= at_least
    assert len(set(states)) == len(states), \
        f'{len(states) - len(set(states))} generators repeat a state'


def residuals(folder_in, folder_target=None):
    """``{name: input - target}`` (float) of a folder pair."""
    out = {}
    for path in sorted(Path(folder_in).glob('*.png')):
        degraded = cv2.imread(str(path)).astype(np.float64)
        clean = cv2.imread(str(Path(folder_target) / path.name)).astype(
            np.float64)
        out[path.name] = degraded - clean
    return out


def assert_uncorrelated(res):
    assert len(res) >= 2
    for (a, ra), (b, rb) in itertools.combinations(res.items(), 2):
        corr = np.corrcoef(ra.ravel(), rb.ravel())[0, 1]
        assert abs(corr) < MAX_CORRELATION, (a, b, corr)


def test_item_rng_uses_every_byte_of_the_key():
    keys = ['Rain_Heavy/0001', 'Rain_Heavy/0002', '0801_0000_0096',
            '0801_0000_0192', 'paired/rain/train/a', 'paired/rain/train/b']
    states = [repr(item_rng(0, k).bit_generator.state) for k in keys]
    assert len(set(states)) == len(keys)
    assert repr(item_rng(0, keys[0]).bit_generator.state) == states[0]


def test_demo_set_draws_per_image(tmp_path, generator_states):
    make_demo_set(str(tmp_path), seed=0, size=48, num_train=3, num_test=2,
                  progress=False)
    # 3 degradations × (3 + 2 paired + real) + hybrid's 4 draws × 5.
    assert_all_distinct(generator_states, 3 * 5 + 20)
    for split in ('train', 'test'):
        root = tmp_path / 'rain' / split
        assert_uncorrelated(residuals(root / 'input', root / 'target'))


def test_unpaired_set_draws_per_image(tmp_path, generator_states):
    make_unpaired_rain(str(tmp_path), seed=0, size=48, num_train=3,
                       num_test=3, progress=False)
    assert_all_distinct(generator_states, 3 * 3)
    test = tmp_path / 'unpaired' / 'rain' / 'test'
    assert_uncorrelated(residuals(test / 'input', test / 'target'))


def test_real_like_set_draws_per_image(tmp_path, generator_states):
    make_real_like(str(tmp_path), seed=0, size=48, num_adapt=2,
                   num_clear=2, num_test=3, progress=False)
    assert_all_distinct(generator_states, 3 * (2 + 3) + 2)
    test = tmp_path / 'real_like' / 'test' / 'rain'
    assert_uncorrelated(residuals(test / 'input', test / 'target'))


def test_folder_synthesis_draws_per_image(tmp_path, generator_states):
    """Names that share their first 8 bytes (the old seeding's blind
    spot), whole images and crops."""
    clean = tmp_path / 'clean' / 'Rain_Heavy'
    clean.mkdir(parents=True)
    rng = np.random.default_rng(5)
    for i in range(3):
        cv2.imwrite(str(clean / f'rain_image_{i:04d}.png'),
                    smooth_image(rng, 64))
    for out, patch in (('whole', None), ('crops', 32)):
        generator_states.clear()
        synthesize_folder(str(tmp_path / 'clean'), str(tmp_path / out),
                          'rain', patch=patch, progress=False)
        res = residuals(tmp_path / out / 'input' / 'Rain_Heavy',
                        tmp_path / out / 'target' / 'Rain_Heavy')
        assert len(res) == (3 if patch is None else 12)
        assert_uncorrelated(res)
        # One generator per image, and one per crop (from its name).
        assert_all_distinct(generator_states, 3 + (12 if patch else 0))
