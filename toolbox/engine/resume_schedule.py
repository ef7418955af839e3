"""``--resume`` with a schedule other than the checkpoint's.

MMEngine restores every parameter scheduler from the checkpoint whole,
hyper-parameters included: resume a 10-iteration run with
``train_cfg.max_iters=20`` (and the config's ``T_max``/``end`` following
it) and the schedulers keep ``end: 10``, so the learning rate freezes at
its iteration-10 value, without a word. :class:`ResumeScheduleHook`
(added by ``tools/train.py``; ``--resume-schedule``) compares, after the
resume, each scheduler's hyper-parameters with the config's entry and,
when they differ:

``on_change='config'`` (default)
    takes the config's values (``T_max``, ``end``, ``eta_min``, ...) and
    keeps the checkpoint's progress (step count, current and base rates),
    so the schedule goes on from the current rate to the config's end; a
    warning lists every change.
``on_change='checkpoint'``
    keeps the checkpoint's schedule (MMEngine's behaviour) and says so.
``on_change='stop'``
    stops with :class:`ScheduleChangedError` listing the changes and the
    two options above.

A resume at the same schedule changes nothing (resuming stays bit-exact).
"""
from typing import List, Optional

from mmengine.hooks import Hook

from toolbox.registry import HOOKS

MODES = ('config', 'checkpoint', 'stop')
OPTION = '--resume-schedule'
#: Config keys that are not hyper-parameters kept in a scheduler's state.
_NOT_COMPARED = ('type', 'convert_to_iter_based', 'verbose', 'by_epoch')


class ScheduleChangedError(ValueError):
    """The config's schedule differs from the checkpoint's and the run was
    told to stop on such a change."""


def _config_lists(cfg_schedulers, names):
    """The config's scheduler list for each of the runner's names (a GAN
    has one list per optimiser wrapper, or one list for all)."""
    if isinstance(cfg_schedulers, dict) and 'type' not in cfg_schedulers:
        return {name: cfg_schedulers.get(name) for name in names}
    if isinstance(cfg_schedulers, dict):
        cfg_schedulers = [cfg_schedulers]
    return {name: cfg_schedulers for name in names}


def schedule_changes(runner_schedulers, cfg_schedulers,
                     max_iters: Optional[int] = None,
                     max_epochs: Optional[int] = None) -> List[tuple]:
    """``(label, scheduler, key, checkpoint value, config value)`` for every
    hyper-parameter of a resumed scheduler that the config sets otherwise.

    An entry without ``end`` gets the train loop's length, as MMEngine's
    Runner gives it (``max_iters``, or ``max_epochs`` for ``by_epoch``).
    """
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
            if entry.get('convert_to_iter_based'):
                continue  # begin/end were rescaled by the epoch length
            entry = dict(entry)
            default_end = max_epochs if entry.get('by_epoch', True) else \
                max_iters
            if default_end is not None:
                entry.setdefault('end', default_end)
            label = ('param_scheduler' + (f'.{name}' if name else '') +
                     f'.{index} ({type(scheduler).__name__})')
            for key, wanted in entry.items():
                if key in _NOT_COMPARED or not hasattr(scheduler, key):
                    continue
                found = getattr(scheduler, key)
                if wanted is None and key == 'T_max':
                    wanted = scheduler.end - scheduler.begin
                if found != wanted:
                    changes.append((label, scheduler, key, found, wanted))
    return changes


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
        if not getattr(runner, '_resume', False) or runner.iter == 0:
            return
        changes = schedule_changes(runner.param_schedulers,
                                   runner.cfg.get('param_scheduler'),
                                   runner.max_iters, runner.max_epochs)
        if not changes:
            return
        listed = '; '.join(f'{label}: {key} {found} in the checkpoint, '
                           f'{wanted} in the config'
                           for label, _, key, found, wanted in changes)
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
        for _, scheduler, key, _, wanted in changes:
            setattr(scheduler, key, wanted)
        runner.logger.warning(
            f"Resumed at iteration {runner.iter} with the config's schedule, "
            f"which differs from the checkpoint's ({listed}); the rate goes "
            f"on from its current value. {OPTION} checkpoint would keep the "
            "checkpoint's schedule.")


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


__all__ = ['ResumeScheduleHook', 'ScheduleChangedError', 'schedule_changes',
           'ensure_resume_schedule_hook']
