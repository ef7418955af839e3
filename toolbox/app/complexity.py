"""Parameters and FLOPs of a config's network (``tools/complexity.py``).

The counts are MMEngine's (:func:`mmengine.analysis.get_model_complexity_info`,
fvcore's analysis): parameters are the distinct ``nn.Parameter`` s of the
network (a parameter shared by two layers counts once), FLOPs come from a
trace of one forward pass on a ``1×3×H×W`` input, **one multiply-add
counted as one FLOP** (convolutions, linear layers, matrix products, norms
and upsampling have rules; element-wise operations such as additions,
activations and the GDN's square root have none and are listed as not
counted).

What is counted is the model's *inference network*: the network
``predict`` runs at test time (a ``Restorer``'s ``generator``, a GAN's
generator of ``test_cfg.direction``, a distillation model's student), not
discriminators, teachers or loss networks. The model is built as
:func:`~toolbox.apis.init_model` builds it, without data or checkpoint.
A data preprocessor that pads inputs to a multiple of N
(``pad_size_divisor``) makes the network see the padded size; so does the
count, and the report says so.
"""
import logging
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from toolbox.apis.inference import init_model
from toolbox.app.errors import is_user_error
from toolbox.user_errors import UserError

_UNSUPPORTED = re.compile(r'Unsupported operator (\S+) encountered (\d+) ')


@dataclass
class Complexity:
    """What :func:`config_complexity` measured.

    Attributes:
        config: the config file (or ``'<config>'`` for a Config object).
        model: class of the built model (``'Restorer'``).
        network_name: the attribute of the model holding the counted
            network (``'generator'``).
        network: its class (``'FDRNet'``).
        shape: ``(H, W)`` asked for.
        input_shape: the tensor the network ran on, ``(1, 3, H', W')``
            (``H'``, ``W'`` padded as the data preprocessor pads).
        params: parameters of the network (shared ones once).
        flops: FLOPs of one forward pass (multiply-adds).
        uncounted: ``{operator: calls}`` MMEngine has no FLOP rule for.
        pad_divisor: the data preprocessor's ``pad_size_divisor`` (1: no
            padding).
    """
    config: str
    model: str
    network_name: str
    network: str
    shape: Tuple[int, int]
    input_shape: Tuple[int, int, int, int]
    params: int
    flops: int
    uncounted: Dict[str, int] = field(default_factory=dict)
    pad_divisor: int = 1


class _CollectUnsupported(logging.Filter):
    """Takes MMEngine's 'Unsupported operator' warnings (and the 'never
    called' one) out of the log, keeping the counts of the FLOP analysis.

    ``get_model_complexity_info`` runs a FLOP and an activation analysis
    and each warns about the operators it has no rule for; only the FLOP
    analysis's list says what the FLOPs leave out, so the warning is
    attributed to the analyser whose method is logging it.
    """

    def __init__(self):
        super().__init__()
        self.ops = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        from mmengine.analysis import FlopAnalyzer
        from mmengine.analysis.jit_analysis import JitModelAnalysis
        message = record.getMessage()
        match = _UNSUPPORTED.search(message)
        if match:
            frame = sys._getframe()
            while frame is not None and not isinstance(
                    frame.f_locals.get('self'), JitModelAnalysis):
                frame = frame.f_back
            if frame is not None and isinstance(frame.f_locals['self'],
                                                FlopAnalyzer):
                self.ops[match.group(1)] += int(match.group(2))
            return False
        # Layers built but not run (e.g. a branch switched off) count no
        # FLOPs, which is right; MMEngine's warning about them is noise.
        return 'were never called during the trace' not in message


def network_complexity(network: nn.Module, input_shape: Sequence[int]
                       ) -> Tuple[int, int, Dict[str, int]]:
    """``(parameters, FLOPs, uncounted operators)`` of ``network`` on a
    random ``input_shape`` (``(1, C, H, W)``) tensor, in eval mode."""
    from mmengine.analysis import get_model_complexity_info
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    collect = _CollectUnsupported()
    logger.addFilter(collect)
    was_training = network.training
    network.eval()
    try:
        with torch.no_grad():
            info = get_model_complexity_info(
                network, input_shape=tuple(input_shape[1:]),
                show_table=False, show_arch=False)
    finally:
        logger.removeFilter(collect)
        network.train(was_training)
    return int(info['params']), int(info['flops']), dict(collect.ops)


def _check_shape(shape: Sequence[int]) -> Tuple[int, int]:
    if len(shape) != 2 or any(int(s) != s or s < 1 for s in shape):
        raise UserError(f'--shape takes two positive integers H W, got '
                        f'{" ".join(map(str, shape))}')
    return int(shape[0]), int(shape[1])


def _build_model(config, cfg_options):
    try:
        return init_model(config, device='cpu', cfg_options=cfg_options)
    except Exception as error:  # noqa: BLE001 - sorted below
        if is_user_error(error):
            raise
        if isinstance(error, (TypeError, ValueError, AttributeError)):
            # A wrong argument in the config (MMEngine names the class).
            raise UserError(f'cannot build the model of {config}: '
                            f'{str(error).splitlines()[0]}') from error
        raise


def config_complexity(config, shape: Sequence[int] = (256, 256),
                      cfg_options: Optional[dict] = None) -> Complexity:
    """Parameters and FLOPs of ``config``'s inference network at ``shape``.

    Args:
        config: a config file or :class:`mmengine.config.Config`.
        shape: ``(H, W)`` of the RGB input.
        cfg_options: ``--cfg-options`` overrides.

    Raises:
        UserError: a missing or broken config, a wrong argument in it, a
            shape that is not two positive integers, or one the network
            does not run on.
    """
    height, width = _check_shape(shape)
    model = _build_model(config, cfg_options)
    if not hasattr(model, 'inference_network'):
        raise UserError(f'{config}: {type(model).__name__} names no '
                        'inference network (inference_network()); only '
                        'the toolbox\'s models are supported')
    network = model.inference_network()
    divisor = max(int(getattr(model.data_preprocessor, 'pad_size_divisor',
                              1) or 1), 1)
    padded = tuple(-(-s // divisor) * divisor for s in (height, width))
    input_shape = (1, 3) + padded
    try:
        params, flops, uncounted = network_complexity(network, input_shape)
    except (RuntimeError, ValueError, IndexError) as error:
        raise UserError(
            f'{type(network).__name__} does not run on a '
            f'{"×".join(map(str, input_shape))} input: '
            f'{str(error).strip().splitlines()[0]} (try another --shape)'
        ) from error
    return Complexity(
        config=config if isinstance(config, str) else '<config>',
        model=type(model).__name__,
        network_name=getattr(model, 'inference_network_name', '?'),
        network=type(network).__name__, shape=(height, width),
        input_shape=input_shape, params=params, flops=flops,
        uncounted=uncounted, pad_divisor=divisor)


def _short(value: float) -> str:
    for unit, size in (('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if value >= size:
            return f'{value / size:.2f} {unit}'
    return str(int(value))


def format_complexity(result: Complexity) -> str:
    """The report ``tools/complexity.py`` prints."""
    height, width = result.shape
    size = '×'.join(map(str, result.input_shape[2:]))
    seen = '×'.join(map(str, result.input_shape))
    if tuple(result.input_shape[2:]) != (height, width):
        seen += (f' (the data preprocessor pads {height}×{width} to a '
                 f'multiple of {result.pad_divisor})')
    lines = [
        f'{result.config}',
        f'  network     {result.model}.{result.network_name} '
        f'({result.network}): the network the model runs at test time',
        f'  input       {seen}',
        f'  parameters  {result.params:,} ({_short(result.params)})',
        f'  FLOPs       {result.flops:,} ({_short(result.flops)}) at '
        f'{size}, one multiply-add = 1 FLOP (MMEngine\'s count)',
    ]
    if result.uncounted:
        ops = ', '.join(f'{op.split("::")[-1]} ×{n}' for op, n in sorted(
            result.uncounted.items(), key=lambda item: (-item[1], item[0])))
        lines.append(f'  not in the FLOPs (no MMEngine rule): {ops}')
    return '\n'.join(lines)


__all__ = ['Complexity', 'config_complexity', 'format_complexity',
           'network_complexity']
