"""``--resume`` with a schedule other than the checkpoint's.

MMEngine restores every parameter scheduler from the checkpoint whole,
hyper-parameters included: resume a 10-iteration run with
``train_cfg.max_iters=20`` (and the config's ``T_max``/``end`` following
it) and the schedulers keep ``end: 10``, so the learning rate freezes at
its iteration-10 value, without a word. :class:`ResumeScheduleHook`
(added by ``tools/train.py``; ``--resume-schedule``) builds, after the
resume, each scheduler the config describes on a stand-in optimiser (as
the Runner builds it: ``end`` defaulting to the loop's length,
``convert_to_iter_based`` with the epoch length), compares its state with
the resumed one's and, when they differ:

``on_change='config'`` (default)
    takes the config's schedule *whole*: every hyper-parameter (``end``,
    ``T_max``, ``eta_min``, ``milestones``, ...) and the state a scheduler
    derives from them when it is built (``LinearLR``/``ConstantLR``/
    ``PolyLR``'s ``total_iters``, ``CosineAnnealingLR``'s ``T_max`` from
    ``end``, ``OneCycleLR``'s phases, ...), and keeps the checkpoint's
    progress (the global step, the base and current rates); the step
    within the new window (``last_step``) follows from the global step
    and the new ``begin``. MMEngine's schedulers are chainable: each step
    changes the *current* rate by the schedule's ratio, so the schedule
    goes on from the current rate to the config's end (a ``LinearLR`` to
    0 decays linearly to 0 at its new end). A warning lists every change.
    Where the schedule cannot go on from the current state, the run stops
    with :class:`ScheduleNotResumableError` saying which scheduler, why
    and what to do: a scheduler that multiplies the rate (``LinearLR``,
    ``ConstantLR``, ``StepLR``, ``MultiStepLR``, ``ExponentialLR``, and the
    annealing ones towards 0) still has steps to take while the rate it
    would scale is 0 (it can never rise again); ``ConstantLR``'s factor is
    in the rate where the config's window would not have it, or the other
    way round (its window moved across the current step).
``on_change='checkpoint'``
    keeps the checkpoint's schedule (MMEngine's behaviour) and says so.
``on_change='stop'``
    stops with :class:`ScheduleChangedError` listing the changes and the
    two options above.

A resume at the same schedule changes nothing (resuming stays bit-exact).
"""
import copy
from collections import Counter
from typing import List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.optim.scheduler.param_scheduler import (
    ConstantParamScheduler, CosineAnnealingParamScheduler,
    CosineRestartParamScheduler, ExponentialParamScheduler,
    LinearParamScheduler, MultiStepParamScheduler, PolyParamScheduler,
    ReduceOnPlateauParamScheduler, StepParamScheduler)

from toolbox.engine.resume_weights import resumed_file
from toolbox.mmengine_private import runner_resumes, scheduler_global_step
from toolbox.registry import HOOKS, PARAM_SCHEDULERS

MODES = ('config', 'checkpoint', 'stop')
OPTION = '--resume-schedule'
#: A scheduler's state that says how far it has gone, not what it
#: schedules: kept from the checkpoint (``best``, ``num_bad_epochs`` and
#: ``cooldown_counter`` are ``ReduceOnPlateau``'s).
PROGRESS = ('last_step', '_global_step', 'base_values', '_last_value',
            'best', 'num_bad_epochs', 'cooldown_counter')
#: Schedulers whose every step multiplies the current value: from 0 they
#: stay at 0.
MULTIPLYING = (LinearParamScheduler, ConstantParamScheduler,
               StepParamScheduler, MultiStepParamScheduler,
               ExponentialParamScheduler)
#: Schedulers that anneal the current value towards a floor (``eta_min``
#: or ``eta_min_ratio``): from 0 with a floor of 0 they stay at 0.
ANNEALING = (CosineAnnealingParamScheduler, PolyParamScheduler,
             CosineRestartParamScheduler)


_NAMES = {'lr': 'learning rate'}


class ScheduleChangedError(ValueError):
    """The config's schedule differs from the checkpoint's and the run was
    told to stop on such a change."""


class ScheduleNotResumableError(ScheduleChangedError):
    """The config's schedule cannot go on from the resumed state."""


class _StandInOptimizer(torch.optim.Optimizer):
    """An optimiser with the hyper-parameters (param groups, defaults) of
    ``like`` and one dummy tensor per group: the config's scheduler is built
    on it to read the state it derives, leaving the real optimiser alone
    (building a scheduler sets rates and wraps ``step``)."""

    def __init__(self, like):
        inner = getattr(like, 'optimizer', like)
        groups = [dict({k: v for k, v in group.items()
                        if k != 'params' and not k.startswith('initial_')},
                       params=[torch.zeros(1)])
                  for group in like.param_groups]
        super().__init__(groups, dict(inner.defaults))

    def step(self, closure=None):
        """Nothing to update."""
        return None


def _config_lists(cfg_schedulers, names):
    """The config's scheduler list for each of the runner's names (a GAN
    has one list per optimiser wrapper, or one list for all)."""
    if isinstance(cfg_schedulers, dict) and 'type' not in cfg_schedulers:
        return {name: cfg_schedulers.get(name) for name in names}
    if isinstance(cfg_schedulers, dict):
        cfg_schedulers = [cfg_schedulers]
    return {name: cfg_schedulers for name in names}


def config_scheduler(scheduler, entry, max_iters: Optional[int] = None,
                     max_epochs: Optional[int] = None,
                     epoch_length: Optional[int] = None):
    """The scheduler the config ``entry`` describes, built as the Runner
    builds it (an entry without ``end`` gets the loop's length,
    ``convert_to_iter_based`` the epoch length) on a stand-in for
    ``scheduler``'s optimiser."""
    entry = copy.deepcopy(dict(entry))
    default_end = max_epochs if entry.get('by_epoch', True) else max_iters
    if default_end is not None:
        entry.setdefault('end', default_end)
    default_args = dict(optimizer=_StandInOptimizer(scheduler.optimizer))
    if epoch_length:
        default_args['epoch_length'] = epoch_length
    return PARAM_SCHEDULERS.build(entry, default_args=default_args)


def _schedule_state(scheduler) -> dict:
    """What ``scheduler`` schedules: its state without the progress and
    without methods (``OneCycleLR`` keeps its annealing function)."""
    return {k: v for k, v in scheduler.state_dict().items()
            if k not in PROGRESS and not callable(v)}


def schedule_changes(runner_schedulers, cfg_schedulers,
                     max_iters: Optional[int] = None,
                     max_epochs: Optional[int] = None,
                     epoch_length: Optional[int] = None) -> List[tuple]:
    """``(label, scheduler, key, checkpoint value, config value)`` for every
    piece of a resumed scheduler's state (hyper-parameters and what is
    derived from them) that the config's scheduler has otherwise (see
    :func:`config_scheduler`)."""
    if not runner_schedulers or not cfg_schedulers:
        return []
    if isinstance(runner_schedulers, dict):
        named = dict(runner_schedulers)
    else:
        named = {None: runner_schedulers}
    changes = []
    for name, cfg_list in _config_lists(cfg_schedulers, named).items():
        if not cfg_list:
            continue
        for index, (scheduler, entry) in enumerate(zip(named[name],
                                                       cfg_list)):
            wanted = _schedule_state(config_scheduler(
                scheduler, entry, max_iters, max_epochs, epoch_length))
            found = _schedule_state(scheduler)
            label = ('param_scheduler' + (f'.{name}' if name else '') +
                     f'.{index} ({type(scheduler).__name__})')
            # The config's own keys first, then what is derived from them.
            for key in sorted(wanted, key=lambda k: k not in entry and
                              k != 'end'):
                value = wanted[key]
                if key not in found or found[key] != value:
                    changes.append((label, scheduler, key,
                                    found.get(key, '(none)'), value))
    return changes


def _window_step(scheduler) -> int:
    """``last_step`` of ``scheduler`` at its global step, under its current
    ``begin``/``end``: the steps taken inside the window, minus one."""
    taken = min(scheduler_global_step(scheduler), scheduler.end - 1) - \
        scheduler.begin + 1
    return max(taken, 0) - 1


def _steps_ahead(scheduler, loop_end: Optional[int]) -> bool:
    """Whether ``scheduler`` will still change its value for an iteration
    (or epoch) of this run."""
    last = scheduler.end if loop_end is None else min(scheduler.end,
                                                      loop_end)
    return max(scheduler_global_step(scheduler) + 1, scheduler.begin) < last


def _stays_at_zero(scheduler) -> bool:
    """Whether a current value of 0 stays 0 under ``scheduler``."""
    if isinstance(scheduler, MULTIPLYING):
        return True
    if isinstance(scheduler, ANNEALING):
        floor = getattr(scheduler, 'eta_min_ratio', None)
        floor = getattr(scheduler, 'eta_min', 0) if floor is None else floor
        return not floor
    return False


def _factor_applied(last_step: int, total_iters: int) -> bool:
    """Whether ``ConstantLR``'s factor is in the rate at ``last_step``: it
    multiplies at step 0 and divides again at ``total_iters``."""
    return 0 <= last_step < total_iters


def unresumable_reason(scheduler, loop_end: Optional[int],
                       resumed: Optional[dict] = None) -> Optional[str]:
    """Why the config's schedule, taken by ``scheduler``, cannot go on
    from the resumed state (``None``: it can). ``resumed``: the
    checkpoint's ``last_step`` and ``total_iters``, before the config's
    state was taken."""
    if not _steps_ahead(scheduler, loop_end):
        return None
    param = scheduler.param_name
    name = _NAMES.get(param, param)
    kind = type(scheduler).__name__
    unit = 'epoch' if scheduler.by_epoch else 'iteration'
    window = f'from {unit} {scheduler.begin} to {scheduler.end}'
    values = [group[param] for group in scheduler.optimizer.param_groups]
    if _stays_at_zero(scheduler) and any(
            value == 0 and base != 0
            for value, base in zip(values, scheduler.base_values)):
        return (f'the {name} is 0 (the checkpoint\'s schedule brought it '
                f'there) and {kind} changes it by multiplying it, so it '
                "cannot rise again to follow the config's schedule "
                f'({window})')
    if isinstance(scheduler, ConstantParamScheduler) and resumed and \
            _factor_applied(resumed['last_step'],
                            resumed['total_iters']) != _factor_applied(
                                scheduler.last_step, scheduler.total_iters):
        # The factor is in the rate or not by the checkpoint's window; the
        # config's would take it off once more, or never.
        state = 'is still' if _factor_applied(
            resumed['last_step'], resumed['total_iters']) else 'is no longer'
        return (f'the factor {scheduler.factor} of {kind} {state} in the '
                f"{name} at the checkpoint's step, unlike the config's "
                f'window ({window}) there; going on would leave the {name} '
                'off its schedule by that factor for good')
    return None


@HOOKS.register_module()
class ResumeScheduleHook(Hook):
    """Reconcile resumed schedulers with the config (module docstring).

    Args:
        on_change: ``'config'`` (default), ``'checkpoint'`` or ``'stop'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, on_change: str = 'config'):
        if on_change not in MODES:
            raise ValueError(f'on_change must be one of {MODES}, got '
                             f'{on_change!r}')
        self.on_change = on_change

    def before_train(self, runner) -> None:
        if not runner_resumes(runner) or runner.iter == 0:
            return
        try:
            epoch_length = len(runner.train_dataloader)
        except TypeError:  # a loader without a length: no epoch conversion
            epoch_length = None
        changes = schedule_changes(runner.param_schedulers,
                                   runner.cfg.get('param_scheduler'),
                                   runner.max_iters, runner.max_epochs,
                                   epoch_length)
        if not changes:
            return
        listed = _list_changes(changes)
        options = (f'{OPTION} config takes the config\'s schedule from the '
                   f'current rate on, {OPTION} checkpoint keeps the '
                   "checkpoint's")
        if self.on_change == 'stop':
            raise ScheduleChangedError(
                f'resuming at iteration {runner.iter} with a schedule other '
                f"than the checkpoint's ({listed}). {options}.")
        if self.on_change == 'checkpoint':
            runner.logger.warning(
                f"Resumed with the checkpoint's schedule, not the "
                f"config's ({listed}); {OPTION} config would take the "
                "config's.")
            return
        self._take_config_schedule(runner, changes)
        runner.logger.warning(
            f"Resumed at iteration {runner.iter} with the config's schedule, "
            f"which differs from the checkpoint's ({listed}); the rate goes "
            f"on from its current value. {OPTION} checkpoint would keep the "
            "checkpoint's schedule.")

    @staticmethod
    def _take_config_schedule(runner, changes) -> None:
        """Give each changed scheduler the config's state, keep its
        progress, or stop where the schedule cannot go on from there."""
        changed = {}
        for label, scheduler, key, _, wanted in changes:
            changed.setdefault(id(scheduler), (label, scheduler, dict(
                last_step=scheduler.last_step,
                total_iters=getattr(scheduler, 'total_iters', None))))
            setattr(scheduler, key, copy.deepcopy(wanted))
        reasons = {}
        for label, scheduler, resumed in changed.values():
            if not isinstance(scheduler, ReduceOnPlateauParamScheduler):
                # Its steps inside the new window (begin may have moved).
                scheduler.last_step = _window_step(scheduler)
            loop_end = runner.max_epochs if scheduler.by_epoch else \
                runner.max_iters
            reason = unresumable_reason(scheduler, loop_end, resumed)
            if reason:
                reasons.setdefault(reason, []).append(label)
        if not reasons:
            return
        why = '; '.join(f'{", ".join(labels)}: {reason}'
                        for reason, labels in reasons.items())
        raise ScheduleNotResumableError(
            f'--resume at iteration {runner.iter}: the config\'s schedule '
            f"cannot go on from the checkpoint's state: {why}. To train on "
            'with the new schedule, start a new run from the checkpoint\'s '
            f'weights (--cfg-options load_from={resumed_file(runner)}, '
            'without --resume: new optimiser state and schedule); '
            f"{OPTION} checkpoint resumes with the checkpoint's schedule "
            '(the rate stays where it is).')


def _shown(value) -> str:
    """A state value as a message shows it (``MultiStepLR``'s milestones
    are a ``Counter``)."""
    if isinstance(value, Counter):
        return str(sorted(value.elements()))
    return str(value)


def _list_changes(changes) -> str:
    """``label: key A in the checkpoint, B in the config, ...; label: ...``"""
    by_label = {}
    for label, _, key, found, wanted in changes:
        by_label.setdefault(label, []).append(
            f'{key} {_shown(found)} in the checkpoint, {_shown(wanted)} in '
            'the config')
    return '; '.join(f'{label}: {", ".join(items)}'
                     for label, items in by_label.items())


def ensure_resume_schedule_hook(cfg, on_change: Optional[str]) -> None:
    """Add :class:`ResumeScheduleHook` to ``cfg.custom_hooks`` (or set its
    ``on_change`` if the config has it)."""
    hooks = list(cfg.get('custom_hooks') or [])
    for hook in hooks:
        if hook.get('type') == 'ResumeScheduleHook':
            if on_change:
                hook['on_change'] = on_change
            break
    else:
        hooks.append(dict(type='ResumeScheduleHook',
                          on_change=on_change or 'config'))
    cfg.custom_hooks = hooks


__all__ = ['ResumeScheduleHook', 'ScheduleChangedError',
           'ScheduleNotResumableError', 'schedule_changes',
           'config_scheduler', 'unresumable_reason',
           'ensure_resume_schedule_hook']
