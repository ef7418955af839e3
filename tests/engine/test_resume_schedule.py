"""ResumeScheduleHook rebuilds resumed schedulers from the config whole
(issue 28, defect 3): for every MMEngine scheduler with state derived from
its hyper-parameters, the resumed one goes on as the config's would from
the current rate, without a crash; where it cannot, it says so.

Each case trains ``g`` steps with the old entry, resumes as MMEngine does
(the config's scheduler built, then the checkpoint's state loaded over it)
and steps on to the new end."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from toolbox.engine.resume_schedule import (ResumeScheduleHook,
                                            ScheduleNotResumableError,
                                            _schedule_state)
from toolbox.registry import PARAM_SCHEDULERS


def optimizer():
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)


def build(entry, optim):
    with DefaultScope.overwrite_default_scope('toolbox'):
        return PARAM_SCHEDULERS.build(dict(entry, by_epoch=False),
                                      default_args=dict(optimizer=optim))


def step(optim, scheduler):
    optim.step()
    scheduler.step()
    return optim.param_groups[0]['lr']


def resume(old, new, g, max_iters, logger=None):
    """``(resumed scheduler, its optimiser)`` after ``g`` steps of ``old``,
    reconciled with ``new`` by the hook."""
    optim = optimizer()
    scheduler = build(old, optim)
    for _ in range(g):
        step(optim, scheduler)
    saved_optim, saved = optim.state_dict(), scheduler.state_dict()
    optim = optimizer()
    scheduler = build(new, optim)  # the Runner builds the config's ...
    optim.load_state_dict(saved_optim)  # ... then loads the checkpoint
    scheduler.load_state_dict(saved)
    runner = SimpleNamespace(
        _resume=True, iter=g, max_iters=max_iters, max_epochs=None,
        train_dataloader=[None] * 4, param_schedulers=[scheduler],
        cfg=Config(dict(param_scheduler=[dict(new, by_epoch=False)])),
        logger=logger or SimpleNamespace(warning=lambda message: None),
        _load_from='work/iter_4.pth', work_dir='work')
    with DefaultScope.overwrite_default_scope('toolbox'):
        ResumeScheduleHook().before_train(runner)
    return scheduler, optim


CASES = {
    # LinearLR and PolyLR kept total_iters: the rate reached 0 at the old
    # end, then ZeroDivisionError.
    'LinearLR': (dict(type='LinearLR', start_factor=1.0, end_factor=0.0,
                      end=4), dict(end=8)),
    'PolyLR': (dict(type='PolyLR', eta_min=0.0, power=1.0, end=4),
               dict(end=8)),
    # ConstantLR's total_iters: the factor came off at the old end.
    'ConstantLR': (dict(type='ConstantLR', factor=0.5, end=4), dict(end=8)),
    # T_max follows end when the config leaves it out.
    'CosineAnnealingLR': (dict(type='CosineAnnealingLR', eta_min=0.0,
                               end=4), dict(end=8)),
    # Milestones are a Counter in the scheduler, a list in the config.
    'MultiStepLR': (dict(type='MultiStepLR', milestones=[1, 3], gamma=0.5,
                         end=4), dict(milestones=[3, 5], end=8)),
    'ExponentialLR': (dict(type='ExponentialLR', gamma=0.8, end=4),
                      dict(end=8)),
    'StepLR': (dict(type='StepLR', step_size=3, gamma=0.5, end=4),
               dict(step_size=2, end=8)),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_a_resumed_scheduler_goes_on_as_the_config_from_the_current_rate(
        name):
    old, change = CASES[name]
    new = dict(old, **change)
    g, max_iters = 2, 8
    warnings = []
    scheduler, optim = resume(old, new, g, max_iters,
                              SimpleNamespace(warning=warnings.append))
    assert warnings and "with the config's schedule" in warnings[0]
    # Every hyper-parameter and derived value is the config's.
    assert _schedule_state(scheduler) == _schedule_state(
        build(new, optimizer()))
    # Chainable: from the current rate on, the config's ratios.
    straight_optim = optimizer()
    straight = build(new, straight_optim)
    rates = [straight_optim.param_groups[0]['lr']]
    rates += [step(straight_optim, straight) for _ in range(max_iters - 1)]
    current = optim.param_groups[0]['lr']
    for t in range(g + 1, max_iters):
        assert step(optim, scheduler) == pytest.approx(
            current * rates[t] / rates[g], abs=1e-12), t


def test_a_longer_linear_decay_reaches_zero_at_its_new_end():
    old, _ = CASES['LinearLR']
    scheduler, optim = resume(old, dict(old, end=8), 2, 8)
    current = optim.param_groups[0]['lr']
    assert current == pytest.approx(1 / 3)
    rates = [step(optim, scheduler) for _ in range(3, 8)]
    assert rates == pytest.approx([current * (7 - t) / 5
                                   for t in range(3, 8)])
    assert rates[-1] == 0


def test_a_rate_that_reached_zero_cannot_follow_a_longer_schedule():
    old, _ = CASES['LinearLR']
    with pytest.raises(ScheduleNotResumableError) as error:
        resume(old, dict(old, end=8), 4, 8)
    message = str(error.value)
    assert message.startswith(
        "--resume at iteration 4: the config's schedule cannot go on from "
        "the checkpoint's state: param_scheduler.0 (LinearLR): the learning "
        'rate is 0')
    assert 'cannot rise again' in message
    assert '--cfg-options load_from=work/iter_4.pth, without --resume' in \
        message
    assert '--resume-schedule checkpoint' in message
    # A schedule that ends where it did leaves a rate of 0 alone.
    scheduler, optim = resume(old, old, 4, 8)
    assert step(optim, scheduler) == 0


def test_a_constant_factor_that_came_off_cannot_follow_a_longer_window():
    """ConstantLR took its factor off at the checkpoint's end (step 3); the
    config's longer window would take it off once more at step 7 (the
    rate at twice its base), so the resume stops."""
    old, _ = CASES['ConstantLR']
    with pytest.raises(ScheduleNotResumableError,
                       match=r'param_scheduler.0 \(ConstantLR\): the factor '
                       r'0.5 of ConstantLR is no longer in the learning '
                       r"rate at the checkpoint's step"):
        resume(old, dict(old, end=8), 4, 8)
