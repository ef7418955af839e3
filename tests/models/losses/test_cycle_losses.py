"""Cycle-consistency and identity losses: L1 by hand, registered names."""
import pytest
import torch

from toolbox.models.algorithms.loss_routing import RoutedLosses
from toolbox.models.losses.pixel import L1Loss
from toolbox.registry import LOSSES


@pytest.mark.parametrize('name', ['CycleConsistencyLoss', 'IdentityLoss'])
def test_weighted_l1_by_hand(name):
    x = torch.tensor([0.0, 0.5, -1.0, 0.25]).view(1, 1, 2, 2)
    y = torch.tensor([0.5, 0.5, 0.0, -0.25]).view(1, 1, 2, 2)
    loss = LOSSES.build(dict(type=name, loss_weight=10.0))
    assert isinstance(loss, L1Loss)
    assert loss(x, y).item() == pytest.approx(10.0 * (0.5 + 0 + 1 + 0.5) / 4)
    with pytest.raises(ValueError):
        loss(x, y[..., :1])


def test_log_names_say_which_term():
    losses = RoutedLosses([dict(type='CycleConsistencyLoss'),
                           dict(type='IdentityLoss', loss_weight=5.0)])
    assert list(losses) == ['loss_cycle_consistency', 'loss_identity']
