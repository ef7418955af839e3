"""FID and KID as MMEngine metrics (``val_evaluator``/``test_evaluator``).

Both compare the set of restored images (``pred_img``) with a reference
set: the test set's own targets (``gt_img``, default) or every image of a
folder (``reference_folder=``: e.g. real clean photographs for an unpaired
set). The features and statistics are :mod:`toolbox.evaluation.fid`'s; the
network is built on the first image, so building the metric (configs,
``metric_conventions``) costs nothing.
"""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from toolbox.evaluation import fid
from toolbox.registry import METRICS


def _uint8_batch(tensor: torch.Tensor) -> torch.Tensor:
    """A ``3×H×W`` [0, 255] image as a rounded ``1×3×H×W`` batch (what a
    saved image holds, as the other metrics measure)."""
    return tensor.detach().float().clamp(0, 255).round().unsqueeze(0)


class _InceptionMetric(BaseMetric):
    """Shared code of :class:`FID` and :class:`KID`.

    Args:
        reference_folder: score against every image of this folder instead
            of the samples' ``gt_img``.
        inception_weights: a local FID Inception weights file (default:
            torch's hub cache, downloaded once; :mod:`toolbox.evaluation.fid`).
        download: allow that download (``TOOLBOX_OFFLINE=1`` forbids it).
        device: where the Inception runs (default: the images' device).
    """

    metric_name = ''
    default_prefix = ''

    def __init__(self, reference_folder: Optional[str] = None,
                 inception_weights: Optional[str] = None,
                 download: bool = True, device: Optional[str] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.reference_folder = reference_folder
        self.features = fid.InceptionFeatures(inception_weights, download,
                                              device)

    @property
    def convention(self) -> str:
        """E.g. ``'FID pytorch-fid-inception pool2048 against gt'``."""
        against = 'gt' if self.reference_folder is None else 'folder'
        return (f'{self.metric_name} pytorch-fid-inception pool2048 '
                f'against {against}')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = self.features(_uint8_batch(sample['pred_img']))[0]
            ref = None
            if self.reference_folder is None:
                if 'gt_img' not in sample:
                    raise KeyError(
                        f'{self.metric_name} compares with the targets '
                        f'(gt_img); sample {sample.get("img_path")} has '
                        'none. Give reference_folder= (a folder of clean '
                        'images) for a set without targets.')
                ref = self.features(_uint8_batch(sample['gt_img']))[0]
            self.results.append((pred, ref))

    def _reference_features(self, results) -> np.ndarray:
        if self.reference_folder is None:
            return np.stack([ref for _, ref in results])
        if not osp.isdir(self.reference_folder):
            raise FileNotFoundError(
                f'{self.metric_name}: reference_folder '
                f'{self.reference_folder} not found')
        return fid.folder_features(self.reference_folder, self.features,
                                   progress=False)

    def compute_metrics(self, results: list) -> dict:
        preds = np.stack([pred for pred, _ in results])
        return {self.metric_name: self.distance(
            preds, self._reference_features(results))}

    def distance(self, preds: np.ndarray, refs: np.ndarray) -> float:
        raise NotImplementedError


@METRICS.register_module()
class FID(_InceptionMetric):
    """Fréchet Inception distance of the restored images to the reference
    set (lower is better; :func:`toolbox.evaluation.fid.frechet_distance`).

    With few images the covariances (2,048 dimensions) are poorly
    estimated and FID is biased upwards: compare FIDs of equal set sizes
    only (KID is unbiased)."""

    metric_name = 'FID'

    def distance(self, preds, refs) -> float:
        return fid.fid_from_features(preds, refs)


@METRICS.register_module()
class KID(_InceptionMetric):
    """Kernel Inception distance (the unbiased polynomial-kernel MMD²,
    :func:`toolbox.evaluation.fid.kernel_inception_distance`; lower is
    better), the mean over ``num_subsets`` subsets of ``subset_size``.

    Args:
        num_subsets, subset_size, seed: the subsets (100, 1000, 0).
        Others: see :class:`FID`.
    """

    metric_name = 'KID'

    def __init__(self, num_subsets: int = 100, subset_size: int = 1000,
                 seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.num_subsets = num_subsets
        self.subset_size = subset_size
        self.seed = seed

    def distance(self, preds, refs) -> float:
        mean, _ = fid.kernel_inception_distance(
            preds, refs, self.num_subsets, self.subset_size, self.seed)
        return mean
