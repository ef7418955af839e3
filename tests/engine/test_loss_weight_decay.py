from types import SimpleNamespace

import pytest
from mmengine.logging import MessageHub
from torch import nn

from toolbox.engine import LossWeightDecayHook
from toolbox.models.losses import L1Loss


class Model(nn.Module):

    def __init__(self):
        super().__init__()
        self.feature_loss = L1Loss(loss_weight=0.5)
        self.losses = nn.ModuleDict(dict(loss_pixel=L1Loss(loss_weight=1.0)))
        self.image_loss = None


def runner_at(model, epoch=0, iteration=0):
    return SimpleNamespace(model=model, epoch=epoch, iter=iteration,
                           message_hub=MessageHub.get_instance('decay_test'))


def test_decays_per_epoch_in_closed_form():
    model = Model()
    hook = LossWeightDecayHook(decays={'feature_loss': 0.99,
                                       'losses.loss_pixel': 0.5})
    runner = runner_at(model)
    hook.before_train(runner)
    assert model.feature_loss.loss_weight == 0.5
    for epoch in (1, 2, 3):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
    assert model.feature_loss.loss_weight == pytest.approx(0.5 * 0.99**3)
    assert model.losses.loss_pixel.loss_weight == pytest.approx(0.125)
    hook.before_train_iter(runner, 0)  # epoch mode: iterations change nothing
    assert model.feature_loss.loss_weight == pytest.approx(0.5 * 0.99**3)
    logged = runner.message_hub.get_scalar('train/feature_loss_weight')
    assert logged.current() == pytest.approx(0.5 * 0.99**3)


def test_resumed_run_continues_the_decay():
    # A fresh model (weights as configured) resumed at epoch 40.
    model = Model()
    hook = LossWeightDecayHook(decays={'feature_loss': 0.99})
    hook.before_train(runner_at(model, epoch=40))
    assert model.feature_loss.loss_weight == pytest.approx(0.5 * 0.99**40)


def test_iteration_based_interval_and_floor():
    model = Model()
    hook = LossWeightDecayHook(decays={'feature_loss': 0.5}, by_epoch=False,
                               interval=12, min_weight=0.1)
    runner = runner_at(model)
    hook.before_train(runner)
    runner.iter = 25  # two full "epochs" of 12 iterations
    hook.before_train_iter(runner, 25)
    assert model.feature_loss.loss_weight == pytest.approx(0.125)
    runner.iter = 1000
    hook.before_train_iter(runner, 1000)
    assert model.feature_loss.loss_weight == 0.1


def test_switched_off_losses_are_skipped_and_bad_paths_fail():
    model = Model()
    hook = LossWeightDecayHook(decays={'image_loss': 0.99})
    hook.before_train(runner_at(model, epoch=3))  # None: nothing to decay
    with pytest.raises(AttributeError, match='no .*missing'):
        LossWeightDecayHook(decays={'missing': 0.9}).before_train(
            runner_at(model))
    with pytest.raises(ValueError, match='factor'):
        LossWeightDecayHook(decays={'feature_loss': 1.5})
