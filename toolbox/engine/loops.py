"""Validation and test loops over several test sets, one metric prefix each.

MMEngine's ``ValLoop``/``TestLoop`` take one dataloader. Restoration papers
report every metric per test set (SOTS, Rain1400, GoPro, ...), so
``MultiValLoop``/``MultiTestLoop`` accept a *list* of dataloaders and report
``'<test set>/<metric>'`` keys, e.g. ``'rain1400/PSNR'``.

Evaluators: a single evaluator config (a metric dict or a list of metric
dicts) is shared by every test set (each gets its own copy); to give test
sets different metrics (a synthetic set with references, a real-world set
without), pass a list with one entry per dataloader where each entry is
itself a list of metric dicts.

A test set's name is its dataset's ``metainfo['dataset_name']`` (the ``name``
argument of the toolbox datasets); unnamed sets are called ``set<i>``.
"""
import copy
from typing import Dict, List, Sequence, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.runner import BaseLoop
from mmengine.runner.amp import autocast
from torch.utils.data import DataLoader

from toolbox.registry import LOOPS


def _as_list(dataloader) -> list:
    if isinstance(dataloader, (list, tuple)):
        return list(dataloader)
    return [dataloader]


def _split_evaluators(evaluator, num_sets: int) -> list:
    """One evaluator config (or Evaluator) per test set."""
    per_set = (
        isinstance(evaluator, (list, tuple)) and len(evaluator) == num_sets
        and all(isinstance(e, (list, tuple, Evaluator)) for e in evaluator))
    if per_set:
        return list(evaluator)
    if isinstance(evaluator, Evaluator):
        if num_sets > 1:
            raise ValueError(
                'An Evaluator instance cannot be shared by several test '
                'sets; pass its metric configs instead.')
        return [evaluator]
    return [copy.deepcopy(evaluator) for _ in range(num_sets)]


def test_set_name(dataloader: DataLoader, index: int) -> str:
    """The metric prefix of a test set (see module docstring)."""
    metainfo = getattr(dataloader.dataset, 'metainfo', None) or {}
    return metainfo.get('dataset_name') or f'set{index}'


class _MultiSetLoop(BaseLoop):
    """Shared logic of :class:`MultiValLoop` and :class:`MultiTestLoop`."""

    stage = 'val'

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict, List],
                 evaluator: Union[Evaluator, Dict, List],
                 fp16: bool = False) -> None:
        self._runner = runner
        self.dataloaders = [
            runner.build_dataloader(d, seed=runner.seed)
            if isinstance(d, dict) else d for d in _as_list(dataloader)
        ]
        evaluators = _split_evaluators(evaluator, len(self.dataloaders))
        self.evaluators = [
            runner.build_evaluator(e) if not isinstance(e, Evaluator) else e
            for e in evaluators
        ]
        self.names = [
            test_set_name(d, i) for i, d in enumerate(self.dataloaders)
        ]
        if len(set(self.names)) != len(self.names):
            raise ValueError(
                f'{self.stage} test sets must have distinct names (the '
                f'datasets\' `name` argument); got {self.names}.')
        for loader, evaluator in zip(self.dataloaders, self.evaluators):
            evaluator.dataset_meta = getattr(loader.dataset, 'metainfo', None)
        self.fp16 = fp16
        self.current_set_name = ''

    @property
    def dataloader(self) -> DataLoader:
        """The first dataloader (hooks that expect one dataloader use it)."""
        return self.dataloaders[0]

    def run(self) -> dict:
        """Evaluate every test set and merge the prefixed metrics."""
        self.runner.call_hook(f'before_{self.stage}')
        self.runner.call_hook(f'before_{self.stage}_epoch')
        self.runner.model.eval()
        metrics = {}
        for name, loader, evaluator in zip(self.names, self.dataloaders,
                                           self.evaluators):
            # Hooks that keep something per test set (ValImageGridHook)
            # read the set being run; '' when there is only one.
            self.current_set_name = name if len(self.dataloaders) > 1 else ''
            for idx, data_batch in enumerate(loader):
                self.run_iter(idx, data_batch, evaluator)
            results = evaluator.evaluate(len(loader.dataset))
            prefix = '' if len(self.dataloaders) == 1 else f'{name}/'
            metrics.update({f'{prefix}{k}': v for k, v in results.items()})
        self.runner.call_hook(f'after_{self.stage}_epoch', metrics=metrics)
        self.runner.call_hook(f'after_{self.stage}')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict],
                 evaluator: Evaluator) -> None:
        """Predict one batch and feed the evaluator of its test set."""
        self.runner.call_hook(
            f'before_{self.stage}_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            step = getattr(self.runner.model, f'{self.stage}_step')
            outputs = step(data_batch)
        evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            f'after_{self.stage}_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)


@LOOPS.register_module()
class MultiValLoop(_MultiSetLoop):
    """Validation over one or several test sets (metrics prefixed by name)."""

    stage = 'val'


@LOOPS.register_module()
class MultiTestLoop(_MultiSetLoop):
    """Testing over one or several test sets (metrics prefixed by name)."""

    stage = 'test'
