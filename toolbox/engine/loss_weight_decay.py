"""Exponential decay of loss weights during training.

Uni-Removal (IV-A2): "The trade-off weights are set as λ_f = 0.5 and
λ_i = 0.1. There is a decay of 0.99 on every epoch", and (III-B) the
feature-grained weight is "gradually reduced during training". The hook
below decays the ``loss_weight`` of chosen loss modules; the learning rate
has MMEngine's own ``ExponentialLR`` scheduler for the same decay (configs
choose which, see configs/uniremoval/kt_mprnet.py).
"""
from typing import Dict, Optional

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from toolbox.registry import HOOKS


def resolve_attribute(root, path: str):
    """``root.a.b.c`` for ``path='a.b.c'`` (``None`` if a link is None)."""
    obj = root
    for part in path.split('.'):
        if obj is None:
            return None
        if not hasattr(obj, part):
            raise AttributeError(
                f'LossWeightDecayHook: the model has no {path!r} '
                f'({type(obj).__name__} has no attribute {part!r})')
        obj = getattr(obj, part)
    return obj


@HOOKS.register_module()
class LossWeightDecayHook(Hook):
    """Multiply loss weights by a factor every epoch (or every N iterations).

    The weight at a step is computed in closed form,
    ``w = w0 · factor ** (count // interval)`` (``count`` = finished epochs,
    or finished iterations with ``by_epoch=False``), from the weight ``w0``
    the model was built with; so a resumed run continues the decay where it
    stopped, and nothing needs to be saved. Each weight is also logged
    (``<path>_weight``).

    Args:
        decays: ``{path: factor}``; ``path`` names a module of the model
            that has a ``loss_weight`` attribute, as a dotted attribute path
            (``'feature_loss'``, ``'losses.loss_pixel'``). A path that leads
            to ``None`` (a loss switched off, as in ablations) is skipped.
        by_epoch: count epochs (``EpochBasedTrainLoop``) or iterations.
        interval: epochs (or iterations) per decay step; with an
            iteration-based loop, set it to the iterations of one pass over
            the data to decay "per epoch".
        min_weight: weights never go below this.
    """

    priority = 'NORMAL'

    def __init__(self,
                 decays: Dict[str, float],
                 by_epoch: bool = True,
                 interval: int = 1,
                 min_weight: float = 0.0):
        if not decays:
            raise ValueError('LossWeightDecayHook: `decays` is empty')
        for path, factor in decays.items():
            if not 0 < factor <= 1:
                raise ValueError(
                    f'LossWeightDecayHook: factor of {path!r} must be in '
                    f'(0, 1], got {factor}')
        if interval < 1:
            raise ValueError(
                f'LossWeightDecayHook: interval must be >= 1, got {interval}')
        self.decays = dict(decays)
        self.by_epoch = by_epoch
        self.interval = int(interval)
        self.min_weight = float(min_weight)
        self.base_weights: Dict[str, float] = {}

    def _targets(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        targets = {}
        for path in self.decays:
            module = resolve_attribute(model, path)
            if module is None:
                continue
            if not hasattr(module, 'loss_weight'):
                raise AttributeError(
                    f'LossWeightDecayHook: {path!r} ({type(module).__name__})'
                    ' has no `loss_weight`')
            targets[path] = module
        return targets

    def before_train(self, runner) -> None:
        """Remember the weights the model was built with."""
        targets = self._targets(runner)
        skipped = sorted(set(self.decays) - set(targets))
        if skipped:
            print_log(f'LossWeightDecayHook: {skipped} switched off (None); '
                      'not decayed', logger='current')
        self.base_weights = {
            path: float(module.loss_weight)
            for path, module in targets.items()
        }
        self._update(runner)

    def weight_at(self, path: str, count: int) -> float:
        """The weight of ``path`` after ``count`` epochs (or iterations)."""
        factor = self.decays[path] ** (count // self.interval)
        return max(self.base_weights[path] * factor, self.min_weight)

    def _update(self, runner, count: Optional[int] = None) -> None:
        if count is None:
            count = runner.epoch if self.by_epoch else runner.iter
        for path, module in self._targets(runner).items():
            if path not in self.base_weights:
                continue
            module.loss_weight = self.weight_at(path, count)
            runner.message_hub.update_scalar(f'train/{path}_weight',
                                             module.loss_weight)

    def before_train_epoch(self, runner) -> None:
        """Set the weights of this epoch."""
        if self.by_epoch:
            self._update(runner)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        """Set the weights of this iteration (iteration-based decay)."""
        if not self.by_epoch:
            self._update(runner)
