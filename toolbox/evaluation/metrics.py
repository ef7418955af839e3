"""MMEngine metrics for ``val_evaluator``/``test_evaluator``."""
from typing import Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from toolbox.evaluation import functional
from toolbox.registry import METRICS
from toolbox.user_errors import UserError


def sample_to_image(tensor, round_to_uint8: bool = True) -> np.ndarray:
    """A ``3×H×W`` [0, 255] tensor → ``H×W×3`` float64 array.

    Rounding to 8 bits (the default) measures what a saved image holds.
    """
    img = tensor.detach().cpu().float().clamp(0, 255).permute(1, 2, 0).numpy()
    if round_to_uint8:
        img = np.round(img)
    return img.astype(np.float64)


def channels_label(convert_to: Optional[str], round_y: bool,
                   default: str = 'RGB') -> str:
    """The channels a metric measures, for :attr:`convention` strings:
    ``default`` (``convert_to=None``: ``'RGB'``, or ``'gray'`` for the
    no-reference metrics, whose releases convert themselves), ``'Y'``,
    ``'Y-rounded'`` or ``'gray'``."""
    if convert_to == 'y':
        return 'Y-rounded' if round_y else 'Y'
    if convert_to == 'gray':
        return 'gray'
    return default


class _FullReferenceMetric(BaseMetric):
    """Shared code of PSNR, SSIM and ColourShift (mean over images).

    :attr:`convention` names how the numbers are computed (a results file
    can carry it next to them): the metric, the channels measured, the
    border cropped, and ``pred-unrounded`` when predictions are measured
    before 8-bit rounding (``round_to_uint8=False``).
    """

    metric_name = ''
    function = None
    #: It compares a prediction with a reference (``gt_img``).
    needs_reference = True
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
        self.options = {}  # extra keyword arguments of ``function``

    def _convention_parts(self) -> list:
        """The words of :attr:`convention` after the metric's name."""
        return []

    @property
    def convention(self) -> str:
        """E.g. ``'PSNR Y crop4'``, ``'SSIM skimage-uniform7 RGB crop0'``."""
        parts = [self.metric_name, *self._convention_parts(),
                 channels_label(self.convert_to, self.round_y),
                 f'crop{int(self.crop_border)}']
        if not self.round_to_uint8:
            parts.append('pred-unrounded')
        return ' '.join(parts)

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
                                    self.convert_to, self.round_y,
                                    **self.options))

    def compute_metrics(self, results: list) -> dict:
        return {self.metric_name: float(np.mean(results))}


@METRICS.register_module()
class PSNR(_FullReferenceMetric):
    """Mean PSNR (dB) over the test set; see :func:`functional.psnr`.

    :attr:`convention`: ``'PSNR <RGB|Y|Y-rounded|gray> crop<N>'``."""

    metric_name = 'PSNR'
    function = staticmethod(functional.psnr)


#: The window of each SSIM variant, as :attr:`SSIM.convention` names it.
SSIM_CONVENTION_NAMES = {'matlab': 'matlab-gaussian11',
                         'skimage': 'skimage-uniform7'}


@METRICS.register_module()
class SSIM(_FullReferenceMetric):
    """Mean SSIM over the test set; see :func:`functional.ssim`.

    Args:
        variant: ``'matlab'`` (default): Wang et al.'s ``ssim.m``, 11×11
            Gaussian window (σ 1.5), population covariance, the toolbox's
            SSIM everywhere else. ``'skimage'``: scikit-image's
            ``structural_similarity`` defaults (``compare_ssim(...,
            multichannel=True)`` of OP-Attention's and SPANet's test
            scripts): 7×7 uniform window, sample covariance, the map's
            3-pixel border left out of the mean.
        data_range: L of the constants on the 8-bit scale (255). SPANet's
            script passes [0, 1] floats without ``data_range``, which old
            scikit-image took as 2 (its float range [−1, 1]): 510 here.
        crop_border, convert_to, round_y, round_to_uint8: as every
            full-reference metric.

    :attr:`convention`: ``'SSIM <matlab-gaussian11|skimage-uniform7>
    [L<data_range>] <channels> crop<N> [pred-unrounded]'`` (``L…`` only
    when it is not 255), e.g. ``'SSIM matlab-gaussian11 RGB crop0'``.
    """

    metric_name = 'SSIM'
    function = staticmethod(functional.ssim)

    def __init__(self, *args, variant: str = 'matlab',
                 data_range: float = 255.0, **kwargs):
        super().__init__(*args, **kwargs)
        if variant not in functional.SSIM_VARIANTS:
            raise ValueError(f'SSIM: variant must be one of '
                             f'{functional.SSIM_VARIANTS}, got {variant!r}')
        if not data_range > 0:
            raise ValueError(f'SSIM: data_range must be > 0, got '
                             f'{data_range!r}')
        self.variant = variant
        self.data_range = float(data_range)
        self.options = dict(variant=variant, data_range=self.data_range)

    def _convention_parts(self) -> list:
        parts = [SSIM_CONVENTION_NAMES[self.variant]]
        if self.data_range != 255:
            parts.append(f'L{self.data_range:g}')
        return parts


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
    #: It scores a prediction alone (what a clean target can be scored by).
    needs_reference = False

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

    @property
    def convention(self) -> str:
        """E.g. ``'NIQE gray crop0'``: the metric, the channel scored
        (``gray``: the release's own ``rgb2gray``) and the border cropped,
        plus ``pred-unrounded`` without 8-bit rounding."""
        parts = [self.metric_name,
                 channels_label(self.convert_to, self.round_y, 'gray'),
                 f'crop{int(self.crop_border)}']
        if not self.round_to_uint8:
            parts.append('pred-unrounded')
        return ' '.join(parts)

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
