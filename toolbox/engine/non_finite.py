"""Stop (or skip) training on a non-finite loss, before a bad checkpoint.

Without it a diverged run goes on logging ``loss: nan``, writes checkpoints
of NaN weights and exits 0. :class:`NonFiniteLossHook` is one of the
default hooks (``configs/_base_/default_runtime.py``,
``default_hooks.non_finite``) of every config:

``on_non_finite='stop'`` (default)
    After every training iteration, every logged loss term (every output
    of ``train_step`` whose name contains ``loss``: a Restorer's ``loss``
    and ``loss_l1``, a GAN's ``loss_generator``, ``loss_discriminator``,
    ``loss_cycle`` ...) is checked; a NaN or infinite value stops the run
    with :class:`NonFiniteLossError` naming the term(s), the iteration and
    the last good checkpoint. The hook runs before the checkpoint hook
    (priority ``NORMAL`` against ``VERY_LOW``), and every checkpoint save
    checks the model's weights too, so no checkpoint holding non-finite
    weights is written.
``on_non_finite='skip'``
    Optimiser steps whose gradients are not all finite are skipped (the
    gradients dropped, the weights untouched), as AMP's loss scaler does;
    the run goes on and logs ``skipped_steps``, the count so far. A
    non-finite loss alone (finite gradients) is counted, not stopped.
    Wrappers with a float16 loss scaler are left to it (it skips such
    steps itself, and lowers its scale).

Set it with ``--cfg-options default_hooks.non_finite.on_non_finite=skip``.
"""
import functools
import math
import os.path as osp
from typing import Dict, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper, OptimWrapperDict

from toolbox.registry import HOOKS

MODES = ('stop', 'skip')


class NonFiniteLossError(RuntimeError):
    """Training produced a NaN/infinite loss or weights and was stopped."""


def _as_float(value) -> Optional[float]:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return None
        value = value.detach().float().item()
    if isinstance(value, (int, float)):
        return float(value)
    return None


def non_finite_terms(outputs) -> Dict[str, float]:
    """The loss terms of a ``train_step`` output that are NaN or infinite."""
    if not isinstance(outputs, dict):
        return {}
    bad = {}
    for name, value in outputs.items():
        if 'loss' not in name:
            continue
        number = _as_float(value)
        if number is not None and not math.isfinite(number):
            bad[name] = number
    return bad


def non_finite_parameters(state) -> List[str]:
    """Names of the floating tensors of a state dict with NaN/inf values."""
    return [name for name, value in state.items()
            if isinstance(value, torch.Tensor) and value.is_floating_point()
            and not torch.isfinite(value).all()]


def _wrappers(optim_wrapper) -> List[OptimWrapper]:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return list(optim_wrapper.values())
    if isinstance(optim_wrapper, OptimWrapper):
        return [optim_wrapper]
    return []


def _grads_finite(wrapper: OptimWrapper) -> bool:
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            if param.grad is not None and not torch.isfinite(
                    param.grad).all():
                return False
    return True


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop training at the first NaN/infinite loss term, or skip the
    optimiser steps it spoils (see the module docstring).

    Args:
        on_non_finite: ``'stop'`` (default) or ``'skip'``.
    """

    priority = 'NORMAL'  # before LoggerHook and CheckpointHook

    def __init__(self, on_non_finite: str = 'stop'):
        if on_non_finite not in MODES:
            raise ValueError(f'on_non_finite must be one of {MODES}, got '
                             f'{on_non_finite!r}')
        self.on_non_finite = on_non_finite
        self.skipped_steps = 0
        self.non_finite_iters = 0

    # -- skip: guard every optimiser step ---------------------------------

    def before_train(self, runner) -> None:
        if self.on_non_finite != 'skip':
            return
        for wrapper in _wrappers(runner.optim_wrapper):
            self._guard(wrapper)

    def _guard(self, wrapper: OptimWrapper) -> None:
        step = wrapper.step
        if getattr(step, '_non_finite_guard', False):
            return
        if getattr(wrapper, 'loss_scaler', None) is not None:
            # float16 AMP: the loss scaler already skips steps with
            # non-finite (scaled) gradients and lowers its scale; skipping
            # before it would keep the scale too high for ever.
            return
        hook = self

        # wraps: keeps the schedulers' step counter mark (_with_counter).
        @functools.wraps(step)
        def guarded_step(**kwargs):
            if _grads_finite(wrapper):
                return step(**kwargs)
            hook.skipped_steps += 1
            wrapper.optimizer.zero_grad()
            return None

        guarded_step._non_finite_guard = True
        wrapper.step = guarded_step

    # -- every iteration ---------------------------------------------------

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        bad = non_finite_terms(outputs)
        if self.on_non_finite == 'skip':
            self.non_finite_iters += bool(bad)
            runner.message_hub.update_scalar('train/skipped_steps',
                                             self.skipped_steps)
            return
        if bad:
            terms = ', '.join(f'{name} = {value}'
                              for name, value in bad.items())
            raise NonFiniteLossError(
                f'non-finite loss at iteration {runner.iter + 1}: {terms}. '
                f'Training stopped; {self._last_good(runner)}. '
                f'{self._advice(runner)}, or pass --cfg-options '
                "default_hooks.non_finite.on_non_finite=skip to skip such "
                'steps instead.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to write a checkpoint whose weights are not finite."""
        bad = non_finite_parameters(checkpoint.get('state_dict', {}))
        if bad:
            # The iteration the checkpoint would be named after (MMEngine
            # counts it in the checkpoint's meta; runner.iter lags by one
            # during an iteration-based save).
            iteration = (checkpoint.get('meta') or {}).get('iter',
                                                           runner.iter)
            raise NonFiniteLossError(
                f'the weights at iteration {iteration} are not finite '
                f'({len(bad)} tensors, e.g. {", ".join(bad[:3])}): training '
                'stopped without writing their checkpoint; '
                f'{self._last_good(runner)}. {self._advice(runner)}.')

    def after_train(self, runner) -> None:
        if self.on_non_finite == 'skip' and (self.skipped_steps or
                                             self.non_finite_iters):
            runner.logger.warning(
                f'NonFiniteLossHook: {self.skipped_steps} optimiser steps '
                f'skipped (non-finite gradients); {self.non_finite_iters} '
                'iterations had a non-finite loss.')

    @staticmethod
    def _last_good(runner) -> str:
        record = osp.join(runner.work_dir, 'last_checkpoint')
        if osp.isfile(record):
            with open(record) as file:
                path = file.read().strip()
            if path:
                return f'the last good checkpoint is {path}'
        return 'no earlier checkpoint was written'

    @staticmethod
    def _advice(runner) -> str:
        """What to lower, with the config keys of this run's optimisers
        (a GAN has one wrapper per network: optim_wrapper.<name>....)."""
        wrapper = (getattr(runner, 'cfg', None) or {}).get('optim_wrapper')
        prefixes = ['optim_wrapper']
        if isinstance(wrapper, dict) and 'optimizer' not in wrapper:
            named = [f'optim_wrapper.{k}' for k, v in wrapper.items()
                     if isinstance(v, dict) and 'optimizer' in v]
            prefixes = named or prefixes
        rates = ', '.join(f'{p}.optimizer.lr' for p in prefixes)
        clips = ', '.join(f'{p}.clip_grad' for p in prefixes)
        return (f'Lower the learning rate ({rates}) or clip gradients '
                f'({clips})')


__all__ = ['NonFiniteLossHook', 'NonFiniteLossError', 'non_finite_terms',
           'non_finite_parameters']
