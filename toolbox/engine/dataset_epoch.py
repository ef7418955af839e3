"""Telling the training data which epoch runs: :class:`DatasetEpochHook`.

Transforms that change with the epoch (``Resize(late_size=...,
late_from_epoch=...)``: the fine-tuning phase of CUT and DCD-GAN's released
code, ``docs/methods/dcdgan.md``) read it from each sample. The hook sets
it on the training dataset before every training epoch, a resumed one
included, through :meth:`RestorationDataset.set_epoch
<toolbox.datasets.base.RestorationDataset.set_epoch>`, which keeps it in
shared memory: the dataloader's workers, persistent or not, see it for
every sample of the epoch (they are handed that epoch's indices only once
the hooks have run).
"""
from typing import List

from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from toolbox.registry import HOOKS
from toolbox.user_errors import UserError


def epoch_datasets(dataset) -> List:
    """The datasets with ``set_epoch`` in ``dataset`` and the datasets it
    wraps (MMEngine's and the toolbox's concatenations, repeats)."""
    found, stack = [], [dataset]
    while stack:
        current = stack.pop()
        if hasattr(current, 'set_epoch'):
            found.append(current)
        stack += list(getattr(current, 'datasets', None) or [])
        inner = getattr(current, 'dataset', None)
        if inner is not None:
            stack.append(inner)
    return found


@HOOKS.register_module()
class DatasetEpochHook(Hook):
    """Set the 0-based training epoch on the training dataset(s) before
    every training epoch.

    ``custom_hooks = [dict(type='DatasetEpochHook')]``; the configs whose
    pipelines change with the epoch list it. Epochs advance only under
    ``EpochBasedTrainLoop``: with an iteration-based loop every sample
    carries epoch 0 (a warning says so).

    Raises:
        UserError: the training dataset has no ``set_epoch`` (not a toolbox
            dataset), so the transforms would never see the epoch.
    """

    priority = 'ABOVE_NORMAL'

    def before_train(self, runner) -> None:
        """Check once that the loop counts epochs."""
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            runner.logger.warning(
                'DatasetEpochHook: the training loop is '
                f'{type(runner.train_loop).__name__}, whose epoch stays 0; '
                'transforms that change with the epoch never change')

    def before_train_epoch(self, runner) -> None:
        """``set_epoch(runner.epoch)`` on every dataset of the loader."""
        datasets = epoch_datasets(runner.train_dataloader.dataset)
        if not datasets:
            raise UserError(
                'DatasetEpochHook: the training dataset '
                f'({type(runner.train_dataloader.dataset).__name__}) has no '
                'set_epoch; use a toolbox dataset (toolbox/datasets/)')
        for dataset in datasets:
            dataset.set_epoch(runner.epoch)
