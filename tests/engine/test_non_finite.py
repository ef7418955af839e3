"""NonFiniteLossHook on GAN outputs and on checkpoint saves (no Runner)."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.registry import DefaultScope

from toolbox.engine.non_finite import (NonFiniteLossError, NonFiniteLossHook,
                                       non_finite_terms)
from toolbox.registry import HOOKS


def fake_runner(tmp_path, iteration=4):
    return SimpleNamespace(iter=iteration, work_dir=str(tmp_path))


def test_gan_loss_terms_are_checked(tmp_path):
    outputs = dict(loss_generator=torch.tensor(1.0),
                   loss_discriminator=torch.tensor(float('inf')),
                   loss_cycle=torch.tensor(float('nan')), lr=float('nan'))
    assert set(non_finite_terms(outputs)) == {'loss_discriminator',
                                              'loss_cycle'}
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    with pytest.raises(NonFiniteLossError) as error:
        NonFiniteLossHook().after_train_iter(fake_runner(tmp_path), 0,
                                             outputs=outputs)
    message = str(error.value)
    assert 'iteration 5' in message and 'loss_cycle = nan' in message
    assert 'loss_discriminator = inf' in message
    assert f'last good checkpoint is {tmp_path}/iter_4.pth' in message


def test_no_checkpoint_of_non_finite_weights(tmp_path):
    state = dict(w=torch.tensor([1.0, float('nan')]), n=torch.tensor(3))
    with pytest.raises(NonFiniteLossError) as error:
        NonFiniteLossHook().before_save_checkpoint(
            fake_runner(tmp_path), dict(state_dict=state, meta=dict(iter=5)))
    # The iteration the checkpoint would be named after, in one sentence.
    assert str(error.value) == (
        'the weights at iteration 5 are not finite (1 tensors, e.g. w): '
        'training stopped without writing their checkpoint; no earlier '
        'checkpoint was written. Lower the learning rate '
        '(optim_wrapper.optimizer.lr) or clip gradients '
        '(optim_wrapper.clip_grad).')
    NonFiniteLossHook().before_save_checkpoint(
        fake_runner(tmp_path), dict(state_dict=dict(w=torch.ones(2))))


def test_the_advice_names_a_gan_configs_optimisers(tmp_path):
    runner = fake_runner(tmp_path)
    runner.cfg = dict(optim_wrapper=dict(
        generators=dict(optimizer=dict(type='Adam')),
        discriminators=dict(optimizer=dict(type='Adam'))))
    with pytest.raises(NonFiniteLossError) as error:
        NonFiniteLossHook().after_train_iter(
            runner, 0, outputs=dict(loss_gan=torch.tensor(float('nan'))))
    assert ('(optim_wrapper.generators.optimizer.lr, '
            'optim_wrapper.discriminators.optimizer.lr)') in str(error.value)
    assert 'optim_wrapper.optimizer.lr' not in str(error.value)


def test_default_runtime_registers_the_hook():
    from mmengine.config import Config
    cfg = Config.fromfile('configs/_base_/default_runtime.py')
    assert cfg.default_hooks.non_finite.type == 'NonFiniteLossHook'
    with DefaultScope.overwrite_default_scope('toolbox'):
        assert isinstance(HOOKS.build(cfg.default_hooks.non_finite),
                          NonFiniteLossHook)
    with pytest.raises(ValueError, match='on_non_finite'):
        NonFiniteLossHook('ignore')
