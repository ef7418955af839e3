"""No-reference image quality: BRISQUE and NIQE as released by LIVE, PIQE.

* :func:`brisque` follows LIVE's ``brisquescore.m``/``brisque_feature.m``
  (Mittal et al., TIP 2012) with its ``allmodel`` SVR and ``allrange``
  scaling, the SVR evaluated in numpy (no libsvm). By default features are
  rounded as the release's text hand-off rounds them (``%f`` when written,
  then ``svm-scale``'s ``%g``).
* :func:`niqe` follows LIVE's ``computequality.m`` (Mittal et al., SPL 2013):
  96×96 blocks without overlap, two scales, the pristine model of
  ``modelparameters.mat``. (The release also computes a per-block sharpness
  there but never uses it; sharpness only selects patches when *training* a
  model, ``estimatemodelparam.m``.)
* :func:`piqe` follows MATLAB's ``piqe`` (Venkatanath et al., NCC 2015),
  including its exact block statistics.

These are not MATLAB's built-in ``brisque()``/``niqe()`` (other features and
models): see docs/metrics.md. Lower is better for all three. Inputs are RGB
``H×W×3`` (or grayscale ``H×W``) arrays of 8-bit values, uint8 or float,
converted with MATLAB's ``rgb2gray``. All three are vectorised over pixels
and blocks (no per-pixel or per-block Python loops).
"""
import math
import os.path as osp
import warnings
from functools import lru_cache

import numpy as np

from toolbox.evaluation.matlab import (gaussian_filter, imresize,
                                       matlab_round, rgb2gray)

DATA_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'data')


def _matlab_colon(start: float, step: float, stop: float) -> np.ndarray:
    """MATLAB ``start:step:stop``: the first half counts up from ``start``,
    the second half down from ``stop`` (so the last value is exactly
    ``stop``), unlike ``np.arange``."""
    n = int(math.floor((stop - start) / step + 1e-10))
    k = np.arange(n + 1)
    return np.where(k <= n // 2, start + k * step, stop - (n - k) * step)


_gamma = np.vectorize(math.gamma, otypes=[np.float64])
_GAM = _matlab_colon(0.2, 0.001, 10.0)  # the releases' search grid
# Γ(1/α), Γ(2/α), Γ(3/α) on the grid: fitted α are grid values, so every
# later Γ of a fitted α is a table look-up.
_G1, _G2, _G3 = _gamma(1 / _GAM), _gamma(2 / _GAM), _gamma(3 / _GAM)
_GGD_RATIO = _G1 * _G3 / _G2**2  # decreasing in α
_AGGD_RATIO = _G2**2 / (_G1 * _G3)  # increasing in α
assert np.all(np.diff(_AGGD_RATIO) > 0) and np.all(np.diff(_GGD_RATIO) < 0)


def _load_model(name: str):
    path = osp.join(DATA_DIR, name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'IQA model file missing: {path}. It ships with the package; '
            'regenerate it with tools/convert_iqa_models.py.')
    return np.load(path)


@lru_cache(maxsize=None)
def brisque_model():
    """LIVE's BRISQUE SVR: support vectors, coefficients, rho, gamma and the
    feature ranges of ``allrange``."""
    return dict(_load_model('brisque_live.npz'))


@lru_cache(maxsize=None)
def niqe_model():
    """LIVE's NIQE pristine model (mean and covariance of 36 features)."""
    return dict(_load_model('niqe_live.npz'))


def mscn(img: np.ndarray, border: str, separable: bool = True) -> tuple:
    """Mean-subtracted contrast-normalised coefficients and local sigma
    (7×7 Gaussian window, σ = 7/6, ``C = 1``).

    ``border='zero'`` is MATLAB ``filter2(..., 'same')`` (BRISQUE),
    ``'replicate'`` is ``imfilter(..., 'replicate')`` (NIQE) or
    ``imgaussfilt`` (PIQE). All three filter separably in MATLAB (filter2 and
    imfilter detect the rank-1 window), hence ``separable=True`` by the
    callers; it changes results only through rounding.
    """
    mu = gaussian_filter(img, border, separable)
    second = gaussian_filter(img * img, border, separable)
    sigma = np.sqrt(np.abs(second - mu * mu))
    return (img - mu) / (sigma + 1), sigma


def _first_min_index(ratio: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Index of the first minimum of ``|ratio - value|`` for a monotone grid,
    like MATLAB's ``[~, i] = min(...)``; NaN values give index 0, as
    MATLAB's ``min`` of an all-NaN vector does.

    On a monotone grid the minimum is next to the insertion point, so a
    binary search replaces the 9801-element scan exactly.
    """
    value = np.asarray(value, dtype=np.float64)
    increasing = ratio[-1] > ratio[0]
    grid = ratio if increasing else ratio[::-1]
    pos = np.clip(np.searchsorted(grid, np.nan_to_num(value)), 1,
                  len(grid) - 1)
    if increasing:
        lo, hi = pos - 1, pos
    else:  # map back to positions in the decreasing original
        lo, hi = len(grid) - 1 - pos, len(grid) - pos
    d_lo = np.abs(ratio[lo] - value)
    d_hi = np.abs(ratio[hi] - value)
    best = np.where(d_hi < d_lo, hi, lo)
    # ties go to the lower index, as MATLAB's min returns the first
    best = np.where(d_hi == d_lo, np.minimum(lo, hi), best)
    return np.where(np.isnan(value), 0, best)


def ggd_fit(vec: np.ndarray):
    """``estimateggdparam``: shape α and standard deviation of a zero-mean
    generalised Gaussian (moment matching on the 0.2:0.001:10 grid)."""
    vec = np.asarray(vec, dtype=np.float64).ravel()
    sigma_sq = np.mean(vec * vec)
    with np.errstate(invalid='ignore', divide='ignore'):
        rho = sigma_sq / np.mean(np.abs(vec))**2
    index = int(_first_min_index(_GGD_RATIO, rho))
    return _GAM[index], np.sqrt(sigma_sq)


def _aggd_fit_index(vecs: np.ndarray):
    """``estimateaggdparam`` for each row of ``vecs``: the index of the
    fitted shape α in the grid ``_GAM`` (so that its Γ values are table
    look-ups) and the left and right standard deviations. As in MATLAB, an
    empty side gives a NaN standard deviation and α = 0.2 (the first grid
    value, what ``min`` returns for all-NaN input)."""
    vecs = np.atleast_2d(vecs)
    square = vecs * vecs
    neg, pos = vecs < 0, vecs > 0
    with np.errstate(invalid='ignore', divide='ignore'):
        # mean over an empty side is NaN in MATLAB (0/0), kept here
        left = np.sqrt(np.where(neg, square, 0).sum(1) / neg.sum(1))
        right = np.sqrt(np.where(pos, square, 0).sum(1) / pos.sum(1))
        gammahat = left / right
        rhat = np.mean(np.abs(vecs), 1)**2 / np.mean(square, 1)
        rhatnorm = rhat * (gammahat**3 + 1) * (gammahat + 1) / (
            (gammahat**2 + 1)**2)
    return _first_min_index(_AGGD_RATIO, rhatnorm), left, right


# ------------------------------------------------------------------ BRISQUE
# circshift offsets of brisque_feature.m (rows, columns)
_BRISQUE_SHIFTS = ((0, 1), (1, 0), (1, 1), (-1, 1))


def brisque_features(gray: np.ndarray) -> np.ndarray:
    """The 36 BRISQUE features of a float grayscale image (2 scales)."""
    feats = []
    img = np.asarray(gray, dtype=np.float64)
    for scale in range(2):
        structdis, _ = mscn(img, 'zero', separable=True)
        alpha, std = ggd_fit(structdis)
        feats += [alpha, std * std]
        pairs = np.stack([
            (structdis * np.roll(structdis, shift, axis=(0, 1))).ravel()
            for shift in _BRISQUE_SHIFTS
        ])
        index, lstd, rstd = _aggd_fit_index(pairs)
        const = np.sqrt(_G1[index]) / np.sqrt(_G3[index])
        mean = (rstd - lstd) * (_G2[index] / _G1[index]) * const
        for i in range(len(_BRISQUE_SHIFTS)):
            feats += [_GAM[index[i]], mean[i], lstd[i]**2, rstd[i]**2]
        if scale == 0:
            img = imresize(img, 0.5)
    return np.array(feats)


def _round_significant(x: np.ndarray, digits: int = 6) -> np.ndarray:
    """printf ``%g`` rounding (6 significant digits)."""
    return np.array([float(f'{v:.{digits}g}') for v in x])


def brisque(img: np.ndarray, text_rounding: bool = True) -> float:
    """BRISQUE score of the LIVE release (lower is better; ~0–100).

    Args:
        img: ``H×W×3`` RGB or ``H×W`` gray, 8-bit values (uint8 or float);
            converted with MATLAB's ``rgb2gray``.
        text_rounding: round the features as the release's text files do
            (``%f`` then ``svm-scale``'s ``%g``); needed to match MATLAB's
            output to its printed 6 digits.
    """
    return brisque_from_features(brisque_features(_gray(img)), text_rounding)


def brisque_scaled_features(feats: np.ndarray,
                            text_rounding: bool = True) -> np.ndarray:
    """What ``svm-scale -r allrange`` hands to ``svm-predict``: the 36
    features mapped to [−1, 1] with the release's ``allrange`` table.

    With ``text_rounding`` the features are first rounded as
    ``fprintf('%f')`` writes them and the result as ``svm-scale`` prints it
    (``%g``, 6 significant digits).
    """
    model = brisque_model()
    feats = np.asarray(feats, dtype=np.float64)
    if feats.shape != (36, ):
        raise ValueError(f'expected 36 BRISQUE features, got {feats.shape}')
    if text_rounding:
        feats = np.array([float(f'{v:f}') for v in feats])
    low, high = model['feature_min'], model['feature_max']
    scaled = -1 + 2 * (feats - low) / (high - low)
    # svm-scale maps the range ends exactly
    scaled = np.where(feats == low, -1.0, np.where(feats == high, 1.0,
                                                   scaled))
    if text_rounding:
        scaled = _round_significant(scaled)
    return scaled


def brisque_from_features(feats: np.ndarray,
                          text_rounding: bool = True) -> float:
    """Scale 36 BRISQUE features (:func:`brisque_scaled_features`) and
    evaluate the RBF SVR ``Σ α_i exp(−γ‖x − sv_i‖²) − ρ``, which is what
    ``svm-predict`` computes for an ε-SVR (``-b 1`` does not change a
    regression's prediction)."""
    model = brisque_model()
    scaled = brisque_scaled_features(feats, text_rounding)
    dist = ((model['support_vectors'] - scaled)**2).sum(axis=1)
    kernel = np.exp(-model['gamma'] * dist)
    return float(kernel @ model['coefficients'] - model['rho'])


# --------------------------------------------------------------------- NIQE
# circshift offsets of computefeature.m (rows, columns)
_NIQE_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))


def _blocks(img: np.ndarray, size: int) -> np.ndarray:
    """Non-overlapping ``size×size`` blocks as an ``N×size×size`` array, in
    MATLAB's column-major block order (down the rows first)."""
    rows, cols = img.shape[0] // size, img.shape[1] // size
    blocks = img[:rows * size, :cols * size].reshape(rows, size, cols, size)
    return blocks.transpose(2, 0, 1, 3).reshape(-1, size, size)


def niqe_block_features(structdis: np.ndarray, size: int) -> np.ndarray:
    """``computefeature`` on every block (as ``blkproc`` hands them over):
    an ``N×18`` array."""
    blocks = _blocks(structdis, size)
    n = len(blocks)
    index, left, right = _aggd_fit_index(blocks.reshape(n, -1))
    scale = np.sqrt(_G1[index] / _G3[index])
    columns = [_GAM[index], (left * scale + right * scale) / 2]
    for shift in _NIQE_SHIFTS:
        # circshift inside each block
        shifted = np.roll(blocks, shift, axis=(1, 2))
        index, lft, rgt = _aggd_fit_index((blocks * shifted).reshape(n, -1))
        s = np.sqrt(_G1[index] / _G3[index])
        bl, br = lft * s, rgt * s
        mean = (br - bl) * (_G2[index] / _G1[index])
        columns += [_GAM[index], mean, bl, br]
    return np.stack(columns, axis=1)


def _pinv(matrix: np.ndarray) -> np.ndarray:
    """MATLAB ``pinv``: singular values below ``max(size)·eps(max(s))`` are
    treated as zero."""
    u, s, vt = np.linalg.svd(matrix)
    tol = max(matrix.shape) * np.spacing(s.max())
    inv_s = np.zeros_like(s)
    inv_s[s > tol] = 1 / s[s > tol]
    return (vt.T * inv_s) @ u.T


def _nan_mean_cov(feats: np.ndarray):
    """``nanmean``/``nancov`` of the ``blocks×36`` feature matrix.

    ``nanmean`` skips NaNs column by column; ``nancov`` keeps complete rows
    only (a single complete row has zero covariance). With a single block the
    release's calls see a *row vector* and return its scalar mean and
    variance, which broadcast in the distance; that is reproduced too.
    """
    if feats.shape[0] == 1:
        warnings.warn(
            'NIQE of an image with a single 96×96 block: the LIVE release '
            'treats its one feature row as a vector, which makes the score '
            'degenerate; use images of at least 192×96 pixels.',
            stacklevel=3)
        row = feats[0][~np.isnan(feats[0])]
        var = np.var(row, ddof=1) if row.size > 1 else 0.0
        return np.mean(row), var
    with np.errstate(invalid='ignore'):
        valid = ~np.isnan(feats)
        mean = np.where(valid, feats, 0).sum(0) / valid.sum(0)
    complete = feats[valid.all(axis=1)]
    if len(complete) == 0:
        cov = np.full((feats.shape[1], ) * 2, np.nan)
    elif len(complete) == 1:
        cov = np.zeros((feats.shape[1], ) * 2)
    else:
        cov = np.cov(complete, rowvar=False)
    return mean, cov


def niqe(img: np.ndarray, block_size: int = 96) -> float:
    """NIQE score of the LIVE release (``computequality.m``; lower is
    better).

    Args:
        img: ``H×W×3`` RGB or ``H×W`` gray, 8-bit values (uint8 or float),
            at least ``block_size`` pixels on each side; converted with
            MATLAB's ``rgb2gray`` and cropped to whole blocks.
        block_size: 96, as the pristine model was fitted with.
    """
    model = niqe_model()
    gray = _gray(img)
    rows, cols = gray.shape[0] // block_size, gray.shape[1] // block_size
    if rows == 0 or cols == 0:
        raise ValueError(f'NIQE needs at least {block_size}×{block_size} '
                         f'pixels, got {gray.shape}')
    if block_size % 2:
        raise ValueError(f'NIQE block_size must be even, got {block_size}')
    gray = gray[:rows * block_size, :cols * block_size]
    feats = []
    for scale in (1, 2):
        structdis, _ = mscn(gray, 'replicate', separable=True)
        feats.append(niqe_block_features(structdis, block_size // scale))
        if scale == 1:
            gray = imresize(gray, 0.5)
    mean, cov = _nan_mean_cov(np.concatenate(feats, axis=1))
    diff = model['mu'] - mean
    inv = _pinv((model['cov'] + cov) / 2)
    return float(np.sqrt(diff @ inv @ diff))


# --------------------------------------------------------------------- PIQE
def piqe(img: np.ndarray, block_size: int = 16,
         activity_threshold: float = 0.1,
         impaired_threshold: float = 0.1, segment: int = 6) -> float:
    """PIQE score in [0, 100] as MATLAB's ``piqe`` computes it (lower is
    better; Venkatanath et al., NCC 2015).

    The image is padded (replicate, bottom/right) to whole 16×16 blocks,
    converted with ``rgb2gray`` and normalised to MSCN coefficients (7×7
    Gaussian, σ 7/6, replicate borders). Blocks whose MSCN variance exceeds
    ``activity_threshold`` are spatially active. An active block scores
    ``1 − v`` (v: its variance) when any 6-pixel segment of its 4 edges has
    a standard deviation below ``impaired_threshold`` (noticeable artifacts),
    plus ``v`` when ``√v > 2β`` with β the normalised gap between √v and the
    centre/surround deviation ratio (noise). PIQE = (Σ scores + 1) /
    (N_active + 1) · 100; a uniform image gives 100.
    """
    img = np.asarray(img)
    if img.ndim not in (2, 3):
        raise ValueError(f'expected an H×W×3 RGB or H×W gray image, got '
                         f'shape {img.shape}')
    h, w = img.shape[:2]
    pad = [(0, (-h) % block_size), (0, (-w) % block_size)]
    img = np.pad(img, pad + [(0, 0)] * (img.ndim - 2), mode='edge')
    # piqe works on round(255*im2double(gray)): whole 8-bit levels
    gray = matlab_round(_gray(img))
    structdis, _ = mscn(gray, 'replicate', separable=True)
    blocks = _blocks(structdis, block_size)
    n = len(blocks)
    flat = blocks.reshape(n, -1)
    variance = flat.var(axis=1, ddof=1)
    active = variance > activity_threshold

    # noticeable artifacts: sliding segments along the four block edges
    edges = np.stack([blocks[:, 0, :], blocks[:, :, -1], blocks[:, -1, :],
                      blocks[:, :, 0]], axis=1)
    segments = np.lib.stride_tricks.sliding_window_view(edges, segment,
                                                        axis=2)
    impaired = (segments.std(axis=-1, ddof=1) < impaired_threshold).any(
        axis=(1, 2))

    # noise: centre columns versus the rest. MATLAB's centerSurDev takes
    # columns c and c+1 (c = block_size/2, 1-based) as the centre, then
    # deletes column c and afterwards column c+1 *of the shrunk block*, i.e.
    # original column c+2; that quirk is kept.
    c = block_size // 2 - 1  # 0-based index of MATLAB's column c
    centre = blocks[:, :, c:c + 2].reshape(n, -1)
    keep = np.ones(block_size, dtype=bool)
    keep[[c, c + 2]] = False
    surround = blocks[:, :, keep].reshape(n, -1)
    with np.errstate(invalid='ignore', divide='ignore'):
        ratio = centre.std(axis=1, ddof=1) / surround.std(axis=1, ddof=1)
        ratio = np.where(np.isnan(ratio), 0.0, ratio)
        sigma = np.sqrt(variance)
        beta = np.abs(sigma - ratio) / np.maximum(sigma, ratio)
    noisy = sigma > 2 * beta

    scores = impaired * (1 - variance) + noisy * variance
    total = scores[active].sum()
    return float((total + 1) / (int(active.sum()) + 1) * 100)


def _gray(img: np.ndarray) -> np.ndarray:
    """The releases' grayscale input, with clear errors for bad images.

    RGB (``H×W×3``) is taken as 8-bit: float values are rounded like
    MATLAB's ``uint8()``, then converted with ``rgb2gray`` (rounded).
    Grayscale (``H×W`` or ``H×W×1``) is used as given, so a float Y channel
    can be scored unrounded.
    """
    arr = np.asarray(img)
    if arr.ndim not in (2, 3) or (arr.ndim == 3
                                  and arr.shape[2] not in (1, 3)):
        raise ValueError(f'expected an H×W×3 RGB or H×W gray image, got '
                         f'shape {arr.shape}')
    if arr.dtype != np.uint8:
        if not np.all(np.isfinite(arr)):
            raise ValueError('image contains NaN or infinite values')
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise ValueError(
                f'expected 8-bit values in [0, 255], got range '
                f'[{arr.min()}, {arr.max()}]')
        if arr.ndim == 3 and arr.shape[2] == 3:
            arr = matlab_round(arr.astype(np.float64))
    return rgb2gray(arr)
