"""Packing a sample into the ``inputs``/``data_samples`` pair models take."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from toolbox.registry import TRANSFORMS
from toolbox.structures import RestorationSample

DEFAULT_META_KEYS = ('img_path', 'gt_path', 'ref_path', 'degradation',
                     'ori_shape', 'dataset_name', 'key')


def image_to_tensor(img: np.ndarray) -> torch.Tensor:
    """``H×W×3`` uint8 RGB → float32 ``3×H×W`` in ``[0, 255]``."""
    return torch.from_numpy(
        np.ascontiguousarray(img.transpose(2, 0, 1))).float()


@TRANSFORMS.register_module()
class PackRestorationInputs(BaseTransform):
    """Pack ``img`` (and ``gt``) into ``inputs`` and a RestorationSample.

    Output: ``dict(inputs=Tensor[3,H,W] float32 [0,255] RGB,
    data_samples=RestorationSample(gt_img=..., metainfo=...))``; an unpaired
    reference image ``ref`` becomes ``ref_img``.

    Args:
        meta_keys: sample entries copied into the metainfo when present.
    """

    def __init__(self, meta_keys: Sequence[str] = DEFAULT_META_KEYS):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if 'img' not in results:
            raise KeyError('PackRestorationInputs needs an `img`; add '
                           "LoadImageFromFile(key='img') to the pipeline.")
        sample = RestorationSample(metainfo={
            k: results[k]
            for k in self.meta_keys if results.get(k) is not None
        })
        if 'gt' in results:
            sample.gt_img = image_to_tensor(results['gt'])
        if 'ref' in results:  # unpaired clean image (another scene)
            sample.ref_img = image_to_tensor(results['ref'])
        return dict(inputs=image_to_tensor(results['img']),
                    data_samples=sample)
