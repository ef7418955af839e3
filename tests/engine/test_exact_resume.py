"""ExactResumeHook and the random states it saves, in-process (the runs
through tools/train.py are in tests/tools: test_gan_tools.py,
test_dcdgan_tools.py, test_uniremoval_da_tools.py,
test_uniremoval_kt_tools.py, test_train_test_tools.py)."""
import random
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from toolbox.engine import exact_resume
from toolbox.engine.exact_resume import (CHECKPOINT_KEY, ExactResumeHook,
                                         _RestoreAfterSkip,
                                         resumable_objects)
from toolbox.engine.random_states import (capture_random_states,
                                          restore_random_states)
from toolbox.models.utils import ImagePool


def draws():
    return (random.random(), np.random.rand(), torch.rand(3).tolist())


def test_restored_states_draw_again_what_they_drew():
    states = capture_random_states()
    first = draws()
    restore_random_states(states)
    assert draws() == first
    # The copy is independent of later draws.
    restore_random_states(states)
    assert draws() == first


class _GAN(nn.Module):

    def __init__(self):
        super().__init__()
        self.net = nn.Linear(2, 2)
        self.pool_a = ImagePool(2)
        self.inner = nn.Module()
        self.inner.pool = ImagePool(1)


def test_resumable_objects_are_found_by_their_methods():
    model = _GAN()
    assert resumable_objects(model) == {'pool_a': model.pool_a,
                                        'inner.pool': model.inner.pool}


def test_the_data_replay_comes_before_the_restore():
    loop = SimpleNamespace(dataloader_iterator=iter(range(5)))
    restored = []
    wrapper = _RestoreAfterSkip(loop, 2, lambda: restored.append(True))
    loop.dataloader_iterator = wrapper
    assert [next(wrapper), next(wrapper)] == [0, 1] and not restored
    assert next(wrapper) == 2 and restored == [True]
    # It has stepped aside: the loop reads its own iterator again.
    assert loop.dataloader_iterator is not wrapper
    assert next(loop.dataloader_iterator) == 3


class _Logger:

    def __init__(self):
        self.warnings = []

    def warning(self, message):
        self.warnings.append(message)


def fake_runner(model, resume=True):
    return SimpleNamespace(model=model, _resume=resume, logger=_Logger(),
                           iter=2, epoch=0, hooks=[])


def saved_checkpoint(model):
    hook = ExactResumeHook()
    checkpoint = {}
    hook.before_save_checkpoint(fake_runner(model), checkpoint)
    return checkpoint


def test_a_checkpoint_brings_back_the_pools_and_the_states():
    model = _GAN()
    model.pool_a.query(torch.rand(2, 3, 4, 4))
    checkpoint = saved_checkpoint(model)
    expected = draws()
    assert checkpoint[CHECKPOINT_KEY]['world_size'] == 1
    resumed = _GAN()
    hook = ExactResumeHook()
    runner = fake_runner(resumed)
    hook.after_load_checkpoint(runner, checkpoint)
    assert len(resumed.pool_a) == 2 and len(resumed.inner.pool) == 0
    assert all(torch.equal(a, b) for a, b in
               zip(model.pool_a.images, resumed.pool_a.images))
    # The states wait for the training to start (after the data replay
    # of an iteration-based loop; here there is no such loop).
    random.random()
    runner.train_loop = SimpleNamespace(iter=2)
    hook.before_train(runner)
    assert draws() == expected
    assert runner.logger.warnings == []


def test_load_from_without_resume_starts_afresh():
    model = _GAN()
    model.pool_a.query(torch.rand(1, 3, 4, 4))
    checkpoint = saved_checkpoint(model)
    fresh = _GAN()
    hook = ExactResumeHook()
    hook.after_load_checkpoint(fake_runner(fresh, resume=False), checkpoint)
    assert len(fresh.pool_a) == 0 and hook._pending is None


def test_another_number_of_processes_is_said(monkeypatch):
    checkpoint = saved_checkpoint(_GAN())
    monkeypatch.setattr(exact_resume, 'get_dist_info', lambda: (0, 2))
    runner = fake_runner(_GAN())
    ExactResumeHook().after_load_checkpoint(runner, checkpoint)
    assert runner.logger.warnings == [
        'The checkpoint holds the random states of 1 process, this run has '
        '2: the weights, optimisers and schedulers resume, the random '
        'states and image pools start afresh.']


def test_an_older_checkpoint_is_said():
    runner = fake_runner(_GAN())
    ExactResumeHook().after_load_checkpoint(runner, {'state_dict': {}})
    assert 'holds no random states' in runner.logger.warnings[0]


def test_validation_leaves_the_training_streams_alone():
    hook = ExactResumeHook()
    runner = fake_runner(_GAN())
    states = capture_random_states()
    expected = draws()
    restore_random_states(states)
    hook.before_val(runner)
    draws()  # what a validation draws (its DataLoader iterators)
    # A best checkpoint saved during validation holds the states of before.
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    hook.after_val(runner)
    assert draws() == expected
    restore_random_states(
        checkpoint[CHECKPOINT_KEY]['ranks'][0]['random'])
    assert draws() == expected
