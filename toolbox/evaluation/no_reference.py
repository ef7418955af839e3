"""No-reference image quality: BRISQUE and NIQE as released by LIVE, PIQE.

* :func:`brisque` follows LIVE's ``brisquescore.m``/``brisque_feature.m``
  (Mittal et al., TIP 2012) with its ``allmodel`` SVR and ``allrange``
  scaling, the SVR evaluated in numpy (no libsvm). By default features are
  rounded as the release's text hand-off rounds them (``%f`` when written,
  then ``svm-scale``'s ``%g``).
* :func:`niqe` follows LIVE's ``computequality.m`` (Mittal et al., SPL 2013):
  96×96 blocks without overlap, two scales, the pristine model of
  ``modelparameters.mat``.
* :func:`piqe` follows the PIQE paper (Venkatanath et al., NCC 2015) with
  the block size and thresholds MATLAB's ``piqe`` documents.

These are not MATLAB's built-in ``brisque()``/``niqe()`` (other features and
models): see docs/metrics.md. Lower is better for all three. Inputs are RGB
``H×W×3`` (or grayscale ``H×W``) arrays of 8-bit values, converted with
MATLAB's ``rgb2gray``.
"""
import os.path as osp
from functools import lru_cache

import cv2
import numpy as np
from scipy.special import gamma

from toolbox.evaluation.matlab import fspecial_gaussian, imresize, rgb2gray

DATA_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'data')
_GAM = np.arange(0.2, 10.0 + 1e-9, 0.001)  # the releases' search grid
_GGD_RATIO = gamma(1 / _GAM) * gamma(3 / _GAM) / gamma(2 / _GAM)**2
_AGGD_RATIO = gamma(2 / _GAM)**2 / (gamma(1 / _GAM) * gamma(3 / _GAM))
_WINDOW = fspecial_gaussian(7, 7 / 6)


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


def mscn(img: np.ndarray, border: str) -> tuple:
    """Mean-subtracted contrast-normalised coefficients and local sigma.

    ``border='zero'`` is MATLAB ``filter2(..., 'same')`` (BRISQUE),
    ``'replicate'`` is ``imfilter(..., 'replicate')`` (NIQE).
    """
    mode = cv2.BORDER_CONSTANT if border == 'zero' else cv2.BORDER_REPLICATE
    mu = cv2.filter2D(img, cv2.CV_64F, _WINDOW, borderType=mode)
    second = cv2.filter2D(img * img, cv2.CV_64F, _WINDOW, borderType=mode)
    sigma = np.sqrt(np.abs(second - mu * mu))
    return (img - mu) / (sigma + 1), sigma


def ggd_fit(vec: np.ndarray):
    """``estimateggdparam``: shape α and standard deviation of a GGD."""
    sigma_sq = np.mean(vec * vec)
    rho = sigma_sq / np.mean(np.abs(vec))**2
    alpha = _GAM[np.argmin(np.abs(rho - _GGD_RATIO))]
    return alpha, np.sqrt(sigma_sq)


def _aggd_alpha(rhatnorm: np.ndarray) -> np.ndarray:
    """Grid α minimising ``(r(α) - rhatnorm)²`` (first minimum, as
    MATLAB's ``min``); ``_AGGD_RATIO`` is increasing, so search sorted."""
    pos = np.clip(np.searchsorted(_AGGD_RATIO, rhatnorm), 1,
                  len(_GAM) - 1)
    lower = (_AGGD_RATIO[pos - 1] - rhatnorm)**2
    upper = (_AGGD_RATIO[pos] - rhatnorm)**2
    return _GAM[np.where(upper < lower, pos, pos - 1)]


def aggd_fit(vecs: np.ndarray):
    """``estimateaggdparam`` for each row of ``vecs``: α, left and right
    standard deviations (NaN where a side is empty, as in MATLAB)."""
    vecs = np.atleast_2d(vecs)
    neg, pos = vecs < 0, vecs > 0
    with np.errstate(invalid='ignore', divide='ignore'):
        left = np.sqrt((vecs * vecs * neg).sum(1) / neg.sum(1))
        right = np.sqrt((vecs * vecs * pos).sum(1) / pos.sum(1))
        gammahat = left / right
        rhat = np.mean(np.abs(vecs), 1)**2 / np.mean(vecs * vecs, 1)
        rhatnorm = rhat * (gammahat**3 + 1) * (gammahat + 1) / (
            (gammahat**2 + 1)**2)
    alpha = _aggd_alpha(np.nan_to_num(rhatnorm, nan=0.0))
    alpha = np.where(np.isnan(rhatnorm), np.nan, alpha)
    return alpha, left, right


# ------------------------------------------------------------------ BRISQUE
_BRISQUE_SHIFTS = ((0, 1), (1, 0), (1, 1), (-1, 1))


def brisque_features(gray: np.ndarray) -> np.ndarray:
    """The 36 BRISQUE features of a float grayscale image (2 scales)."""
    feats = []
    img = gray
    for _ in range(2):
        structdis, _ = mscn(img, 'zero')
        alpha, std = ggd_fit(structdis.ravel())
        feats += [alpha, std * std]
        pairs = np.stack([
            (structdis * np.roll(structdis, shift, axis=(0, 1))).ravel()
            for shift in _BRISQUE_SHIFTS
        ])
        alphas, lefts, rights = aggd_fit(pairs)
        for a, lstd, rstd in zip(alphas, lefts, rights):
            const = np.sqrt(gamma(1 / a)) / np.sqrt(gamma(3 / a))
            mean = (rstd - lstd) * (gamma(2 / a) / gamma(1 / a)) * const
            feats += [a, mean, lstd * lstd, rstd * rstd]
        img = imresize(img, 0.5)
    return np.array(feats)


def _round_significant(x: np.ndarray, digits: int = 6) -> np.ndarray:
    """printf ``%g`` rounding (6 significant digits)."""
    return np.array([float(f'{v:.{digits}g}') for v in x])


def brisque(img: np.ndarray, text_rounding: bool = True) -> float:
    """BRISQUE score (LIVE release); ``text_rounding`` mimics the release's
    feature files (``%f`` then ``%g``)."""
    return brisque_from_features(brisque_features(rgb2gray(img)),
                                 text_rounding)


def brisque_from_features(feats: np.ndarray,
                          text_rounding: bool = True) -> float:
    """Scale 36 BRISQUE features with ``allrange`` and evaluate the SVR."""
    model = brisque_model()
    if text_rounding:
        feats = np.round(feats, 6)
    low, high = model['feature_min'], model['feature_max']
    scaled = -1 + 2 * (feats - low) / (high - low)
    if text_rounding:
        scaled = _round_significant(scaled)
    dist = ((model['support_vectors'] - scaled)**2).sum(axis=1)
    kernel = np.exp(-model['gamma'] * dist)
    return float(kernel @ model['coefficients'] - model['rho'])


# --------------------------------------------------------------------- NIQE
_NIQE_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))


def _blocks(img: np.ndarray, size: int) -> np.ndarray:
    """Non-overlapping ``size×size`` blocks as an ``N×size×size`` array."""
    rows, cols = img.shape[0] // size, img.shape[1] // size
    blocks = img[:rows * size, :cols * size].reshape(rows, size, cols, size)
    return blocks.transpose(0, 2, 1, 3).reshape(-1, size, size)


def niqe_block_features(structdis: np.ndarray, size: int) -> np.ndarray:
    """``computefeature`` on every block: ``N×18``."""
    blocks = _blocks(structdis, size)
    n = len(blocks)
    alpha, left, right = aggd_fit(blocks.reshape(n, -1))
    scale = np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    columns = [alpha, (left * scale + right * scale) / 2]
    for shift in _NIQE_SHIFTS:
        # circshift inside each block, as blkproc hands blocks over.
        shifted = np.roll(blocks, shift, axis=(1, 2))
        a, lft, rgt = aggd_fit((blocks * shifted).reshape(n, -1))
        s = np.sqrt(gamma(1 / a) / gamma(3 / a))
        bl, br = lft * s, rgt * s
        mean = (br - bl) * (gamma(2 / a) / gamma(1 / a))
        columns += [a, mean, bl, br]
    return np.stack(columns, axis=1)


def niqe(img: np.ndarray, block_size: int = 96) -> float:
    """NIQE score (LIVE release, ``computequality.m``)."""
    model = niqe_model()
    gray = rgb2gray(img)
    rows, cols = gray.shape[0] // block_size, gray.shape[1] // block_size
    if rows == 0 or cols == 0:
        raise ValueError(f'NIQE needs at least {block_size}×{block_size} '
                         f'pixels, got {gray.shape}')
    gray = gray[:rows * block_size, :cols * block_size]
    feats = []
    for scale in (1, 2):
        structdis, _ = mscn(gray, 'replicate')
        feats.append(niqe_block_features(structdis, block_size // scale))
        gray = imresize(gray, 0.5)
    dist = np.concatenate(feats, axis=1)
    dist = dist[~np.isnan(dist).any(axis=1)]  # nanmean/nancov, complete rows
    if len(dist) == 0:
        raise ValueError('NIQE: every block of the image is flat (features '
                         'undefined)')
    mu = dist.mean(axis=0)
    # One block has no covariance; treat it as zero (images smaller than
    # 192×96 are outside what NIQE was designed for).
    cov = np.cov(dist, rowvar=False) if len(dist) > 1 else np.zeros(
        (dist.shape[1], dist.shape[1]))
    diff = model['mu'] - mu
    inv = np.linalg.pinv((model['cov'] + cov) / 2)
    return float(np.sqrt(diff @ inv @ diff))


# --------------------------------------------------------------------- PIQE
def piqe(img: np.ndarray, block_size: int = 16,
         activity_threshold: float = 0.1,
         impaired_threshold: float = 0.1, segment: int = 6) -> float:
    """PIQE score in [0, 100] (Venkatanath et al., NCC 2015).

    MSCN coefficients (7×7 Gaussian, σ 7/6, replicate borders) are cut into
    16×16 blocks; blocks whose MSCN variance exceeds ``activity_threshold``
    are spatially active. An active block is distorted by *noticeable
    artifacts* when one of its 4 edge segments (length ``segment``, 1 pixel
    inside the block border) has a standard deviation below
    ``impaired_threshold`` (Eq. 5–6; scored ``1 − σ_block``), or by *noise*
    when its centre/surround deviation test holds (Eq. 7–9; scored
    ``σ_block``). PIQE = (Σ scores + 1) / (N_active + 1) · 100 (Eq. 10).
    """
    gray = rgb2gray(img)
    h, w = gray.shape
    pad_h, pad_w = (-h) % block_size, (-w) % block_size
    gray = np.pad(gray, ((0, pad_h), (0, pad_w)), mode='edge')
    structdis, _ = mscn(gray, 'replicate')
    blocks = _blocks(structdis, block_size)
    variance = blocks.reshape(len(blocks), -1).var(axis=1, ddof=1)
    active = variance > activity_threshold
    blocks, sigma = blocks[active], np.sqrt(variance[active])
    score = ((1 - sigma) * _noticeable_artifact(blocks, segment,
                                                impaired_threshold)).sum()
    score += (sigma * _noisy(blocks, sigma)).sum()
    return float((score + 1) / (int(active.sum()) + 1) * 100)


def _noticeable_artifact(blocks: np.ndarray, segment: int,
                         threshold: float) -> np.ndarray:
    """Eq. 5–6, per block: a low-activity segment on any of the 4 edges."""
    edges = np.stack([blocks[:, 0, :], blocks[:, -1, :], blocks[:, :, 0],
                      blocks[:, :, -1]], axis=1)  # N×4×size
    windows = np.lib.stride_tricks.sliding_window_view(edges, segment,
                                                       axis=2)
    return (windows.std(axis=3, ddof=1) < threshold).any(axis=(1, 2))


def _noisy(blocks: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Eq. 7–9, per block: centre versus surround deviation."""
    size = blocks.shape[1]
    lo, hi = size // 2 - 1, size // 2 + 1
    n = len(blocks)
    centre = blocks[:, :, lo:hi + 1].reshape(n, -1)
    surround = np.concatenate([blocks[:, :, :lo].reshape(n, -1),
                               blocks[:, :, hi + 1:].reshape(n, -1)], axis=1)
    centre_std = centre.std(axis=1, ddof=1)
    surround_std = surround.std(axis=1, ddof=1)
    with np.errstate(invalid='ignore', divide='ignore'):
        beta = np.abs(centre_std - surround_std) / np.maximum(centre_std,
                                                              surround_std)
    return sigma > 2 * np.nan_to_num(beta)
