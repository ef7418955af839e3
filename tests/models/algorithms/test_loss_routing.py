import pytest
import torch

import toolbox.models  # noqa: F401  (registers the losses)
from toolbox.models.algorithms.loss_routing import RoutedLosses
from toolbox.models.algorithms.restorer import Restorer


def test_named_routes_lists_and_sums():
    a, b, c, t = (torch.rand(1, 3, 4, 4) for _ in range(4))
    losses = RoutedLosses([
        dict(type='L1Loss', loss_weight=1.0),
        dict(type='L1Loss', loss_weight=2.0, loss_name='aux',
             inputs=('aux', 'target')),
        dict(type='MSELoss', loss_weight=1.0, loss_name='cycle',
             inputs=[('a', 'b'), ('c', 'target')]),
        dict(type='L1Loss', loss_weight=1.0, loss_name='stages',
             inputs=('stages', 'target')),
    ])
    out = losses(dict(pred=a, aux=b, a=a, b=b, c=c, target=t,
                      stages=[a, c]))
    l1 = lambda x, y: (x - y).abs().mean()  # noqa: E731
    mse = lambda x, y: (x - y).pow(2).mean()  # noqa: E731
    assert torch.allclose(out['loss_l1'], l1(a, t))
    assert torch.allclose(out['loss_aux'], 2 * l1(b, t))
    assert torch.allclose(out['loss_cycle'], mse(a, b) + mse(c, t))
    assert torch.allclose(out['loss_stages'], l1(a, t) + l1(c, t))


def test_routing_errors_name_the_loss_and_outputs():
    losses = RoutedLosses([dict(type='L1Loss', inputs=('aux', 'target'))])
    with pytest.raises(KeyError, match="loss_l1 takes \\['aux'\\]"):
        losses(dict(pred=torch.zeros(1), target=torch.zeros(1)))
    with pytest.raises(KeyError, match='needs `inputs`'):
        RoutedLosses([dict(type='L1Loss')], default_inputs=())
    with pytest.raises(TypeError, match='inputs'):
        RoutedLosses([dict(type='L1Loss', inputs=[1, 2])])


class TwoHeads(torch.nn.Module):
    """A network with a main and an auxiliary output (dict outputs)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 1)

    def forward(self, x):
        return dict(pred=self.conv(x), aux=x * 0.5)


def test_restorer_routes_losses_to_a_dict_networks_outputs():
    model = Restorer(
        generator=dict(type='DnCNN', in_channels=3, mid_channels=4, depth=2),
        losses=[dict(type='L1Loss', loss_weight=1.0),
                dict(type='L1Loss', loss_weight=0.5, loss_name='aux',
                     inputs=('aux', 'target'))])
    model.generator = TwoHeads()
    x, t = torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4)
    losses = model.compute_losses(model.generator(x), t)
    assert torch.allclose(losses['loss_aux'], 0.5 * (x * 0.5 - t).abs().mean())
    assert torch.allclose(losses['loss_l1'],
                          (model.generator.conv(x) - t).abs().mean())
