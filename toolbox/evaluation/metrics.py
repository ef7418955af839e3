"""MMEngine metrics for ``val_evaluator``/``test_evaluator``."""
from typing import Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from toolbox.evaluation import functional, no_reference
from toolbox.registry import METRICS


def sample_to_image(tensor, round_to_uint8: bool = True) -> np.ndarray:
    """A ``3×H×W`` [0, 255] tensor → ``H×W×3`` float64 array.

    Rounding to 8 bits (the default) measures what a saved image holds.
    """
    img = tensor.detach().cpu().float().clamp(0, 255).permute(1, 2, 0).numpy()
    if round_to_uint8:
        img = np.round(img)
    return img.astype(np.float64)


class _FullReferenceMetric(BaseMetric):
    """Shared code of PSNR and SSIM (mean over images)."""

    metric_name = ''
    function = None
    # Test-set prefixes come from the loops (``'<set>/PSNR'``); an empty
    # default keeps keys plain and silences MMEngine's missing-prefix warning.
    default_prefix = ''

    def __init__(self, crop_border: int = 0, convert_to: Optional[str] = None,
                 round_y: bool = False, round_to_uint8: bool = True,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        functional.convert_color(np.zeros((1, 1, 3)), convert_to)  # validate
        self.crop_border = crop_border
        self.convert_to = convert_to
        self.round_y = round_y
        self.round_to_uint8 = round_to_uint8

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'gt_img' not in sample:
                raise KeyError(
                    f'{self.metric_name} needs a reference image (gt_img); '
                    f'sample {sample.get("img_path")} has none. Use a '
                    'no-reference metric for real-world sets.')
            pred = sample_to_image(sample['pred_img'], self.round_to_uint8)
            ref = sample_to_image(sample['gt_img'], True)
            self.results.append(
                type(self).function(pred, ref, self.crop_border,
                                    self.convert_to, self.round_y))

    def compute_metrics(self, results: list) -> dict:
        return {self.metric_name: float(np.mean(results))}


@METRICS.register_module()
class PSNR(_FullReferenceMetric):
    """Mean PSNR (dB) over the test set; see :func:`functional.psnr`."""

    metric_name = 'PSNR'
    function = staticmethod(functional.psnr)


@METRICS.register_module()
class SSIM(_FullReferenceMetric):
    """Mean SSIM over the test set; see :func:`functional.ssim`."""

    metric_name = 'SSIM'
    function = staticmethod(functional.ssim)


class _NoReferenceMetric(BaseMetric):
    """Shared code of BRISQUE, NIQE and PIQE: mean over the predictions."""

    metric_name = ''
    function = None
    default_prefix = ''

    def __init__(self, round_to_uint8: bool = True,
                 collect_device: str = 'cpu', prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.round_to_uint8 = round_to_uint8

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample_to_image(sample['pred_img'], self.round_to_uint8)
            self.results.append(type(self).function(pred))

    def compute_metrics(self, results: list) -> dict:
        return {self.metric_name: float(np.mean(results))}


@METRICS.register_module()
class BRISQUE(_NoReferenceMetric):
    """Mean BRISQUE (LIVE release model), lower is better."""

    metric_name = 'BRISQUE'
    function = staticmethod(no_reference.brisque)


@METRICS.register_module()
class NIQE(_NoReferenceMetric):
    """Mean NIQE (LIVE release model, 96×96 blocks), lower is better."""

    metric_name = 'NIQE'
    function = staticmethod(no_reference.niqe)


@METRICS.register_module()
class PIQE(_NoReferenceMetric):
    """Mean PIQE, lower is better."""

    metric_name = 'PIQE'
    function = staticmethod(no_reference.piqe)
