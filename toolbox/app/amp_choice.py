"""What ``tools/train.py --amp`` runs for a config, decided from measurements.

On a CPU with native bfloat16, bfloat16 autocast + channels_last pays for
every paper model at the papers' crops (1.8-3.9x float32,
docs/benchmarks.md, models table), but not for every model at the small
crops of the demo configs: there the casts and layout conversions around
each convolution cost more than the faster arithmetic saves (the deraining
teacher's demo step ran at 0.67x float32). So ``--amp`` looks the config's
model and training size up in :data:`CPU_BF16_MIN_PIXELS`, measured by
``benchmarks/bench_amp_choice.py``, and trains in float32 where bfloat16
was measured slower; ``--amp-dtype bfloat16`` still forces it.

Nothing here changes GPU runs (float16 with loss scaling, MMEngine's
default; no GPU was measured) or CPUs without native bfloat16 (float32,
:func:`~toolbox.engine.optim_wrapper.cpu_amp_dtype`).
"""
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from mmengine.config import Config

from toolbox.engine.optim_wrapper import accelerator_available, cpu_amp_dtype
from toolbox.user_errors import UserError

#: Transforms whose ``crop_size`` is the training crop.
_CROP_KEYS = ('crop_size',)


@dataclass(frozen=True)
class MeasuredThreshold:
    """The smallest training step, in pixels (batch × crop²), from which
    bfloat16 autocast + channels_last measured at least as fast as float32
    on a CPU with native bfloat16, and the benchmark rows that set it."""
    min_pixels: int
    source: str


#: Model key (:func:`model_key`) → :class:`MeasuredThreshold`. A model
#: missing here trains in bfloat16 + channels_last under ``--amp`` on a
#: native-bfloat16 CPU (the rule for every paper model at its paper crop)
#: and says that no measurement backs it.
#: Each entry: the smallest step measured at or above 1.0x (below it
#: nothing was measured, or bfloat16 lost), with the measured ratios of
#: ``benchmarks/bench_amp_choice.py --quick --crops 16 32 40 48`` and the
#: demo crops (AMD EPYC, AVX-512 with avx512_bf16, 1 thread, 2026-12-07;
#: docs/benchmarks.md#--amp-per-config).
_SWEEP = 'bench_amp_choice.py, AVX-512 bf16 CPU, 2026-12-07'
CPU_BF16_MIN_PIXELS: Dict[str, MeasuredThreshold] = {
    'Restorer/DnCNN': MeasuredThreshold(
        4 * 16 * 16, f'4×16² 1.30×, 4×32² 1.76×, 4×64² 2.65× ({_SWEEP})'),
    'Restorer/FDRNet': MeasuredThreshold(
        8 * 32 * 32, f'8×32² 1.45×, 8×64² 1.57× ({_SWEEP})'),
    'Restorer/MPRNet': MeasuredThreshold(
        4 * 32 * 32, f'4×32² 1.43×, 4×64² 1.82× ({_SWEEP})'),
    'UniRemovalKT/MPRNet': MeasuredThreshold(
        6 * 32 * 32, f'6×32² 1.34×, 6×72² 1.54× ({_SWEEP})'),
    'UniRemovalDA/MPRNet': MeasuredThreshold(
        6 * 32 * 32, f'6×32² 1.46×, 6×72² 1.73× ({_SWEEP})'),
    # The GANs cross over: slower at 1×32², barely faster at 1×40².
    # With 2 threads (9 steps): CycleGAN 1×48² 1.23×, 1×64² 1.17×;
    # DCD-GAN 1×64² 1.10×, 1×96² 1.08×, 1×128² 1.15×.
    'CycleGAN/ResnetGenerator': MeasuredThreshold(
        48 * 48, f'1×32² 0.93×, 1×40² 1.13×, 1×48² 1.17×, 1×64² 1.32× '
        f'({_SWEEP})'),
    'DCDGAN/ResnetGenerator': MeasuredThreshold(
        48 * 48, f'1×32² 0.98×, 1×40² 1.07×, 1×48² 1.16×, 1×64² 1.18× '
        f'({_SWEEP})'),
}


@dataclass(frozen=True)
class AmpChoice:
    """What ``--amp`` runs.

    Attributes:
        enabled: switch the optimiser wrappers to
            :class:`~toolbox.engine.optim_wrapper.MixedPrecisionOptimWrapper`
            (``False``: float32, bfloat16 measured slower here).
        dtype: the wrapper's ``dtype`` (``None``: its own choice: float16
            on GPUs, float32 with a warning on CPUs without native
            bfloat16).
        channels_last: run the model in channels_last (unless
            ``--[no-]channels-last`` says otherwise).
        reason: one line for the log.
    """
    enabled: bool
    dtype: Optional[str]
    channels_last: bool
    reason: str


def model_key(model_cfg: Dict[str, Any]) -> str:
    """``'Restorer/MPRNet'``, ``'CycleGAN/ResnetGenerator'``,
    ``'UniRemovalKT/MPRNet'`` …: the algorithm type and the type of the
    network it trains (its ``backbone``, ``generator`` or ``student``)."""
    kind = model_cfg.get('type', '?')
    for part in ('backbone', 'generator', 'student'):
        network = model_cfg.get(part)
        if isinstance(network, dict) and 'type' in network:
            return f'{kind}/{network["type"]}'
    return str(kind)


def _find_crop(node) -> Optional[int]:
    if isinstance(node, dict):
        for key in _CROP_KEYS:
            if key in node:
                size = node[key]
                if isinstance(size, (tuple, list)):
                    size = size[0] * size[1] if len(size) == 2 else None
                    return int(size ** 0.5) if size else None
                return int(size)
        for value in node.values():
            found = _find_crop(value)
            if found is not None:
                return found
    elif isinstance(node, (list, tuple)):
        for value in node:
            found = _find_crop(value)
            if found is not None:
                return found
    return None


def train_size(cfg: Config) -> Optional[Tuple[int, int]]:
    """``(batch, crop)`` of the config's training step, or ``None`` where
    the train pipeline has no ``crop_size`` (whole images)."""
    loader = cfg.get('train_dataloader') or {}
    crop = _find_crop(loader.get('dataset'))
    if crop is None:
        return None
    return int(loader.get('batch_size', 1)), crop


def choose_amp(cfg: Config, dtype: Optional[str] = None,
               native_bf16: Optional[bool] = None,
               on_gpu: Optional[bool] = None) -> AmpChoice:
    """What ``--amp`` runs for ``cfg`` on this machine.

    Args:
        cfg: the training config.
        dtype: ``--amp-dtype`` (forces the dtype; ``None``: decide).
        native_bf16, on_gpu: the machine's facts, measured when ``None``
            (arguments for tests).
    """
    if on_gpu is None:
        on_gpu = accelerator_available()
    if on_gpu:
        return AmpChoice(True, dtype, False, 'GPU: float16 with loss '
                         'scaling unless --amp-dtype says otherwise')
    if dtype == 'float16':
        raise UserError('--amp-dtype float16 needs a GPU: CPU autocast runs '
                        'in bfloat16 (use --amp-dtype bfloat16, or leave '
                        '--amp-dtype out)')
    if dtype is not None:
        return AmpChoice(True, dtype, dtype == 'bfloat16',
                         f'--amp-dtype {dtype}: as asked')
    if native_bf16 is None:
        import torch

        native_bf16 = cpu_amp_dtype() is torch.bfloat16
    if not native_bf16:
        # The wrapper trains in float32 and says why (emulated bfloat16).
        return AmpChoice(True, None, False, 'no native bfloat16 on this '
                         'CPU: float32')
    key = model_key(cfg.model)
    threshold = CPU_BF16_MIN_PIXELS.get(key)
    size = train_size(cfg)
    if threshold is None:
        return AmpChoice(True, 'bfloat16', True, f'bfloat16 + channels_last '
                         f'(no measurement for {key} in toolbox.engine.'
                         'amp_choice; benchmarks/bench_amp_choice.py '
                         'measures it)')
    if size is None:
        return AmpChoice(True, 'bfloat16', True, 'bfloat16 + channels_last '
                         '(whole images: larger than any crop)')
    batch, crop = size
    pixels = batch * crop * crop
    where = f'{key} at {batch}×{crop}²'
    if pixels < threshold.min_pixels:
        return AmpChoice(False, None, False, (
            f'float32: bfloat16 measured slower than float32 for {where} '
            f'(it pays from {threshold.min_pixels} pixels per step: '
            f'{threshold.source}); --amp-dtype bfloat16 forces it'))
    return AmpChoice(True, 'bfloat16', True, f'bfloat16 + channels_last for '
                     f'{where} ({threshold.source})')


__all__ = ['AmpChoice', 'CPU_BF16_MIN_PIXELS', 'MeasuredThreshold',
           'choose_amp', 'model_key', 'train_size']
