"""FID and KID: distances between two sets of Inception features.

Statistics (numpy/scipy, any features):

* :func:`frechet_distance` (Heusel et al., NeurIPS 2017): the Fréchet
  distance of two Gaussians, ``‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½)``;
  ``tr((Σ₁Σ₂)^½)`` is taken as the sum of the square roots of the
  eigenvalues of the symmetric ``Σ₁^½ Σ₂ Σ₁^½`` (the same eigenvalues as
  ``Σ₁Σ₂``), which needs no complex ``sqrtm`` and its imaginary residue.
* :func:`kernel_inception_distance` (Bińkowski et al., ICLR 2018): the
  unbiased estimate of the squared MMD with the polynomial kernel
  ``k(x, y) = (xᵀy / d + 1)³``, averaged over random subsets of both sets
  (100 subsets of 1,000 by default, as the reference implementations).

Features: the 2,048-dimensional pool features of the FID Inception network
(the TensorFlow Inception of Heusel et al., ported to PyTorch by
pytorch-fid). Its architecture comes from the ``pytorch-fid`` package
(``pip install pytorch-fid``, imported only when features are computed);
its weights ``pt_inception-2015-12-05-6726825d.pth`` from a local path
(``inception_weights=``) or, once, from pytorch-fid's release into torch's
hub cache (:mod:`toolbox.engine.pretrained`: SHA-256 prefix checked,
progress bar, ``TOOLBOX_OFFLINE=1`` turns the download off). Images are fed
as pytorch-fid feeds them: RGB in ``[0, 1]``, resized to 299×299
(bilinear), scaled to ``[−1, 1]``.
"""
import contextlib
from typing import Optional, Tuple

import numpy as np
import torch

from toolbox.datasets.listing import scan_images
from toolbox.engine.pretrained import fetch_pretrained
from toolbox.progress import progress_bar
from toolbox.user_errors import UserError

#: The pretrained table's name of the FID Inception weights.
WEIGHTS_NAME = 'fid_inception'


def feature_statistics(features: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``(mean, covariance)`` of ``N×D`` features (float64, the sample
    covariance with ``N − 1``, as the FID references)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError('FID needs at least 2 feature vectors (N×D), got '
                         f'shape {features.shape}')
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite
    matrix (negative rounding residue clipped to 0)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
    """The Fréchet distance of ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``."""
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), \
        np.atleast_1d(mu2).astype(np.float64)
    sigma1, sigma2 = np.atleast_2d(sigma1).astype(np.float64), \
        np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f'FID: statistics of different sizes: {mu1.shape} '
                         f'and {mu2.shape}')
    root = _psd_sqrt(sigma1)
    middle = root @ sigma2 @ root
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) -
                 2 * trace_sqrt)


def fid_from_features(features1: np.ndarray, features2: np.ndarray) -> float:
    """FID of two feature sets (``N₁×D``, ``N₂×D``)."""
    return frechet_distance(*feature_statistics(features1),
                            *feature_statistics(features2))


def polynomial_mmd2(x: np.ndarray, y: np.ndarray, degree: int = 3,
                    coef0: float = 1.0) -> float:
    """The unbiased squared MMD of ``x`` (``m×d``) and ``y`` (``n×d``)
    with ``k(a, b) = (aᵀb / d + coef0)^degree``::

        1/(m(m−1)) Σ_{i≠j} k(xᵢ, xⱼ) + 1/(n(n−1)) Σ_{i≠j} k(yᵢ, yⱼ)
        − 2/(mn) Σᵢⱼ k(xᵢ, yⱼ)
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    m, n, dim = len(x), len(y), x.shape[1]
    if m < 2 or n < 2:
        raise ValueError('KID needs at least 2 features per set')

    def kernel(a, b):
        return (a @ b.T / dim + coef0) ** degree

    kxx, kyy, kxy = kernel(x, x), kernel(y, y), kernel(x, y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) +
                 (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) -
                 2 * kxy.mean())


def kernel_inception_distance(features1: np.ndarray, features2: np.ndarray,
                              num_subsets: int = 100,
                              subset_size: int = 1000,
                              seed: int = 0) -> Tuple[float, float]:
    """``(mean, standard deviation)`` of :func:`polynomial_mmd2` over
    ``num_subsets`` pairs of random subsets of ``min(subset_size, N₁,
    N₂)`` features of each set (drawn without replacement, from a
    generator of ``seed``: the same sets give the same value)."""
    features1 = np.asarray(features1, np.float64)
    features2 = np.asarray(features2, np.float64)
    size = min(int(subset_size), len(features1), len(features2))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(int(num_subsets)):
        a = features1[rng.choice(len(features1), size, replace=False)]
        b = features2[rng.choice(len(features2), size, replace=False)]
        values.append(polynomial_mmd2(a, b))
    return float(np.mean(values)), float(np.std(values))


@contextlib.contextmanager
def _weights_from(path: str):
    """pytorch-fid loads its weights from its release address; give it
    the local file instead (its module-level loader, for this build)."""
    from pytorch_fid import inception
    original = inception.load_state_dict_from_url

    def local(*args, **kwargs):
        return torch.load(path, map_location='cpu', weights_only=True)
    inception.load_state_dict_from_url = local
    try:
        yield
    finally:
        inception.load_state_dict_from_url = original


def inception_weights_path(inception_weights: Optional[str] = None,
                           download: bool = True) -> str:
    """The FID Inception weights: ``inception_weights`` when given (it must
    exist), else the hub cache's copy, downloaded once when allowed
    (a ``FileNotFoundError`` naming the file and its address otherwise)."""
    import os.path as osp
    if inception_weights:
        if not osp.isfile(inception_weights):
            raise FileNotFoundError(
                f'FID Inception weights not found at {inception_weights} '
                '(inception_weights=): pytorch-fid\'s '
                'pt_inception-2015-12-05-6726825d.pth')
        return inception_weights
    return fetch_pretrained(WEIGHTS_NAME, download=download)


class InceptionFeatures:
    """The FID Inception's 2,048 pool features of RGB images.

    Args:
        inception_weights: a local weights file; ``None``: the hub cache's
            (downloaded once, see the module docstring).
        download: allow that download (``TOOLBOX_OFFLINE=1`` forbids it
            anyway).
        device: where the network runs (default: that of the images).

    The network is built on the first call.
    """

    def __init__(self, inception_weights: Optional[str] = None,
                 download: bool = True, device: Optional[str] = None):
        self.inception_weights = inception_weights
        self.download = download
        self.device = device
        self._network = None

    def _build(self):
        # The weights first: without them nothing can be measured, and the
        # message names the file to fetch.
        path = inception_weights_path(self.inception_weights, self.download)
        try:
            from pytorch_fid.inception import InceptionV3
        except ImportError as error:
            raise UserError(
                'FID/KID need the FID Inception network of the pytorch-fid '
                'package: pip install pytorch-fid (or pip install -e '
                '.[fid])') from error
        with _weights_from(path):
            network = InceptionV3(
                [InceptionV3.BLOCK_INDEX_BY_DIM[2048]], resize_input=True,
                normalize_input=True, use_fid_inception=True)
        return network.eval()

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> np.ndarray:
        """``N×2048`` float64 features of ``N×3×H×W`` RGB images in
        ``[0, 255]``."""
        if self._network is None:
            self._network = self._build()
        device = self.device or images.device
        self._network.to(device)
        pixels = images.to(device=device, dtype=torch.float32) / 255.0
        features = self._network(pixels)[0]
        return features.flatten(1).double().cpu().numpy()


#: The set-level metrics of :func:`folder_distances` (``tools/iqa.py``).
SET_METRICS = ('fid', 'kid')


def folder_features(folder: str, features: 'InceptionFeatures',
                    progress: bool = True) -> np.ndarray:
    """``N×2048`` features of every image of ``folder`` (recursively, the
    toolbox's image extensions), read as RGB."""
    import cv2

    out = []
    for path in progress_bar(list(scan_images(folder).values()),
                             desc=f'Inception features of {folder}',
                             enabled=progress):
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise OSError(f'cannot read {path}')
        tensor = torch.from_numpy(np.ascontiguousarray(
            image[..., ::-1].transpose(2, 0, 1))).float()
        out.append(features(tensor.unsqueeze(0)))
    if not out:
        raise FileNotFoundError(f'no images in {folder}')
    return np.concatenate(out)


def folder_distances(folder: str, ref_folder: Optional[str], metrics,
                     inception_weights: Optional[str] = None,
                     progress: bool = True) -> dict:
    """``{'fid': ..., 'kid': ...}`` (those of ``metrics``) between the
    images of ``folder`` and of ``ref_folder`` (KID: 100 subsets of at most
    1,000, seed 0)."""
    if not ref_folder:
        raise ValueError('FID/KID compare two folders: give --ref')
    features = InceptionFeatures(inception_weights)
    ours = folder_features(folder, features, progress)
    theirs = folder_features(ref_folder, features, progress)
    out = {}
    if 'fid' in metrics:
        out['fid'] = fid_from_features(ours, theirs)
    if 'kid' in metrics:
        out['kid'] = kernel_inception_distance(ours, theirs)[0]
    return out


__all__ = ['SET_METRICS', 'folder_features', 'folder_distances',
           'feature_statistics', 'frechet_distance', 'fid_from_features',
           'polynomial_mmd2', 'kernel_inception_distance',
           'InceptionFeatures', 'inception_weights_path', 'WEIGHTS_NAME']
