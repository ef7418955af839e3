"""Hand-built checks of the MATLAB-emulation details behind BRISQUE, NIQE and
PIQE (the published-value checks are in test_published_values.py)."""
import numpy as np
import pytest

from toolbox.evaluation import functional as F
from toolbox.evaluation import no_reference as nr
from toolbox.evaluation.matlab import matlab_round, resize_taps


def test_search_grid_is_matlabs_colon():
    grid = nr._GAM
    assert len(grid) == 9801  # numel(0.2:0.001:10)
    assert grid[0] == 0.2 and grid[-1] == 10.0


@pytest.mark.parametrize('ratio', ['_AGGD_RATIO', '_GGD_RATIO'])
def test_grid_search_equals_first_argmin(ratio):
    table = getattr(nr, ratio)
    rng = np.random.default_rng(0)
    values = np.concatenate([
        rng.uniform(table.min() - 0.1, table.max() + 0.1, 2000),
        table[[0, 5, 4000, -1]],  # exactly on the grid
        (table[[10, 20]] + table[[11, 21]]) / 2,  # half way: ties
    ])
    brute = np.array([np.argmin(np.abs(table - v)) for v in values])
    assert np.array_equal(nr._first_min_index(table, values), brute)
    # MATLAB's min over all-NaN differences returns the first index
    assert nr._first_min_index(table, np.array([np.nan]))[0] == 0


def test_aggd_with_an_empty_side_behaves_like_matlab():
    index, left, right = nr._aggd_fit_index(np.array([[0.5, 1.0, 2.0, 0.0]]))
    alpha = nr._GAM[index]
    assert np.isnan(left[0]) and right[0] == pytest.approx(np.sqrt(5.25 / 3))
    assert alpha[0] == 0.2  # gam(1): min() of NaNs


def test_matlab_rounding_goes_away_from_zero():
    assert np.array_equal(matlab_round(np.array([0.5, 1.5, 2.5, -2.5])),
                          [1, 2, 3, -3])
    # Y of (5, 65, 25) is exactly 52.5: MATLAB's uint8 output is 53
    pixel = np.array([[[5.0, 65.0, 25.0]]])
    assert F.rgb_to_y(pixel)[0, 0, 0] == 52.5
    assert F.rgb_to_y(pixel, round_y=True)[0, 0, 0] == 53
    # the same pixel inside a larger image rounds the same way
    big = np.broadcast_to(pixel, (64, 64, 3))
    assert np.all(F.rgb_to_y(big, round_y=True) == 53)


def test_imresize_taps_are_matlabs_half_scale_kernel():
    weights, idx = resize_taps(16, 0.5)
    assert weights.shape == (8, 8)  # 10 taps, the two zero ones dropped
    assert np.allclose(weights.sum(1), 1)
    # interior output 4 (1-based) is centred on input 7.5: symmetric weights
    assert np.allclose(weights[3], weights[3][::-1])
    assert list(idx[3]) == [3, 4, 5, 6, 7, 8, 9, 10]  # 0-based inputs
    # first output mirrors the border: inputs 2,1,1,2,... (1-based)
    assert list(idx[0][:4]) == [2, 1, 0, 0]


def _piqe_loop(img, bs=16):
    """A direct per-block transcription of MATLAB's piqe loop."""
    h, w = img.shape[:2]
    img = np.pad(img, ((0, (-h) % bs), (0, (-w) % bs), (0, 0)), mode='edge')
    gray = nr._gray(img)
    z, _ = nr.mscn(gray, 'replicate', separable=True)
    total, active = 0.0, 0
    for i in range(0, z.shape[0], bs):
        for j in range(0, z.shape[1], bs):
            block = z[i:i + bs, j:j + bs]
            var = block.var(ddof=1)
            if var <= 0.1:
                continue
            active += 1
            edges = [block[0], block[:, -1], block[-1], block[:, 0]]
            impaired = any(
                np.std(e[k:k + 6], ddof=1) < 0.1 for e in edges
                for k in range(11))
            centre = np.concatenate([block[:, 7], block[:, 8]])
            rest = np.delete(np.delete(block, 7, axis=1), 8, axis=1)
            ratio = np.std(centre, ddof=1) / np.std(rest, ddof=1)
            ratio = 0.0 if np.isnan(ratio) else ratio
            sigma = np.sqrt(var)
            beta = abs(sigma - ratio) / max(sigma, ratio)
            total += impaired * (1 - var) + (sigma > 2 * beta) * var
    return (total + 1) / (active + 1) * 100


def test_piqe_equals_the_per_block_loop():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (12, 10, 3)).astype(np.uint8)
    img = np.kron(img, np.ones((5, 5, 1), np.uint8))  # 60×50, some flat
    img[:20, :20] = np.clip(img[:20, :20] + rng.normal(0, 30, (20, 20, 3)),
                            0, 255).astype(np.uint8)
    assert nr.piqe(img) == pytest.approx(_piqe_loop(img), abs=1e-9)


def test_piqe_of_a_uniform_image_is_100():
    # MATLAB's piqe documents 100 for uniform images (no active block)
    assert nr.piqe(np.full((40, 40, 3), 128, np.uint8)) == 100.0


def test_input_validation_names_the_problem():
    with pytest.raises(ValueError, match='96'):
        nr.niqe(np.zeros((95, 200, 3), np.uint8))
    with pytest.raises(ValueError, match='8-bit'):
        nr.brisque(np.full((64, 64, 3), 300.0))
    with pytest.raises(ValueError, match='H×W×3'):
        nr.piqe(np.zeros((3, 32, 32), np.uint8).transpose(1, 2, 0)[..., :2])
    with pytest.raises(ValueError, match='36'):
        nr.brisque_from_features(np.zeros(35))


def test_float_and_uint8_inputs_agree():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (100, 120, 3)).astype(np.uint8)
    for metric in (nr.brisque, nr.niqe, nr.piqe):
        assert metric(img.astype(np.float32)) == metric(img)
