"""The data sample that travels between datasets, models and metrics.

Convention (see docs/conventions.md):

* images inside the toolbox are RGB;
* ``gt_img`` as packed by the data pipeline is a float32 tensor ``3×H×W`` in
  ``[0, 255]``;
* ``pred_img`` as returned by a model's ``predict`` is a float32 tensor
  ``3×H×W`` in ``[0, 255]`` (already de-normalised, cropped back to the input
  size, *not* rounded) so metrics never need to know the network's range.
* metainfo keys: ``img_path``, ``gt_path`` (if any), ``degradation`` (label
  string, for mixed datasets), ``ori_shape`` (H, W of the loaded input),
  ``dataset_name``.
"""
from mmengine.structures import BaseDataElement


class RestorationSample(BaseDataElement):
    """One restoration sample: ``gt_img`` (optional), ``pred_img`` and meta."""
