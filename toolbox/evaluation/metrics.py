"""MMEngine metrics for ``val_evaluator``/``test_evaluator``."""
from typing import Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from toolbox.evaluation import functional
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


@METRICS.register_module()
class ColourShift(_FullReferenceMetric):
    """Mean global colour cast (grey levels, lower is better) over the test
    set, key ``dRGB``; see :func:`functional.colour_shift`."""

    metric_name = 'dRGB'
    function = staticmethod(functional.colour_shift)


class _NoReferenceMetric(BaseMetric):
    """Shared code of BRISQUE, NIQE and PIQE: mean over the predictions.

    Args:
        crop_border: pixels removed on each side before scoring.
        convert_to: ``None`` (the release's ``rgb2gray``, default) or
            ``'y'`` (Y of ``rgb2ycbcr``, rounded unless ``round_y=False``).
        round_to_uint8: round predictions to 8 bits first (default), as a
            saved image would be.
        **options: passed to the metric function (``text_rounding`` for
            BRISQUE, ``block_size`` for NIQE).
    """

    metric_name = ''
    function = None
    default_prefix = ''

    def __init__(self, crop_border: int = 0, convert_to: Optional[str] = None,
                 round_y: bool = True, round_to_uint8: bool = True,
                 collect_device: str = 'cpu', prefix: Optional[str] = None,
                 **options):
        super().__init__(collect_device=collect_device, prefix=prefix)
        functional.convert_color(np.zeros((1, 1, 3)), convert_to)  # validate
        self.crop_border = crop_border
        self.convert_to = convert_to
        self.round_y = round_y
        self.round_to_uint8 = round_to_uint8
        self.options = options

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_img' not in sample:
                raise KeyError(f'{self.metric_name}: sample '
                               f'{sample.get("img_path")} has no pred_img')
            pred = sample_to_image(sample['pred_img'], self.round_to_uint8)
            try:
                score = type(self).function(pred, self.crop_border,
                                            self.convert_to, self.round_y,
                                            **self.options)
            except ValueError as error:  # e.g. an image too small for NIQE
                from toolbox.engine.errors import UserError
                raise UserError(f'{self.metric_name} cannot score '
                                f'{sample.get("img_path", "an image")}: '
                                f'{error}') from error
            self.results.append(score)

    def compute_metrics(self, results: list) -> dict:
        return {self.metric_name: float(np.mean(results))}


@METRICS.register_module()
class BRISQUE(_NoReferenceMetric):
    """Mean BRISQUE of LIVE's release (``allmodel``/``allrange``), lower is
    better; label it "BRISQUE (LIVE)" in tables. See
    :func:`functional.brisque`."""

    metric_name = 'BRISQUE'
    function = staticmethod(functional.brisque)


@METRICS.register_module()
class NIQE(_NoReferenceMetric):
    """Mean NIQE of LIVE's release (``modelparameters.mat``, 96×96 blocks),
    lower is better; label it "NIQE (LIVE)". See :func:`functional.niqe`."""

    metric_name = 'NIQE'
    function = staticmethod(functional.niqe)


@METRICS.register_module()
class PIQE(_NoReferenceMetric):
    """Mean PIQE as MATLAB's ``piqe`` computes it, lower is better. See
    :func:`functional.piqe`."""

    metric_name = 'PIQE'
    function = staticmethod(functional.piqe)
