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


class Recording(torch.nn.Module):
    """DnCNN-like: returns ``(out, {'residual': r, 'half': h})`` when
    asked, and records how it was called."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 1)
        self.calls = []

    def forward(self, x, return_features=False):
        self.calls.append(return_features)
        out = self.conv(x)
        if return_features:
            return out, dict(residual=x - out, half=0.5 * out)
        return out


def test_restorer_asks_for_train_features_only_in_training():
    from toolbox.structures import RestorationSample
    model = Restorer(
        generator=dict(type='DnCNN', in_channels=3, mid_channels=4, depth=2),
        train_features=('residual', ),
        losses=[dict(type='L1Loss', loss_weight=1.0,
                     inputs=('pred', 'target')),
                dict(type='MSELoss', loss_weight=1.0, loss_name='res',
                     inputs=('residual', 'target'))])
    model.generator = Recording()
    x = torch.rand(1, 3, 4, 4)
    sample = RestorationSample()
    sample.gt_img = torch.rand(3, 4, 4) * 255
    losses = model.loss(x, [sample])
    target = model.data_preprocessor.stack_gt([sample])
    out = model.generator.conv(x)
    assert torch.allclose(losses['loss_res'], (x - out - target).pow(2).mean())
    assert torch.allclose(losses['loss_l1'], (out - target).abs().mean())
    assert model.generator.calls == [True]
    model.predict(x)
    model(x, mode='tensor')
    assert model.generator.calls == [True, False, False]


def test_restorer_names_a_missing_train_feature():
    model = Restorer(
        generator=dict(type='DnCNN', in_channels=3, mid_channels=4, depth=2),
        train_features='fdm', losses=[dict(type='L1Loss')])
    with pytest.raises(KeyError, match=r"\['fdm'\].*\['residual'\]"):
        model.run_generator(torch.rand(1, 3, 4, 4))
    with pytest.raises(ValueError, match='name of a network output'):
        model.compute_losses(torch.rand(1, 3, 4, 4), torch.rand(1, 3, 4, 4),
                             features=dict(pred=torch.zeros(1)))


def test_fdrnet_restorer_trains_with_svdo_averaged_over_phases():
    from toolbox.models.losses.orthogonality import SVDOLoss
    from toolbox.structures import RestorationSample
    torch.manual_seed(0)
    model = Restorer(
        generator=dict(type='FDRNet', channels=8, num_phases=2,
                       num_fd_layers=2, num_process_blocks=1,
                       num_aux_blocks=1, reduction=4),
        train_features=('fdm', ),
        losses=[dict(type='L1Loss', inputs=('pred', 'target')),
                dict(type='SVDOLoss', loss_weight=1e-5, loss_name='svdo',
                     inputs=('fdm', ))])
    x = torch.rand(2, 3, 8, 8)
    samples = []
    for _ in range(2):
        sample = RestorationSample()
        sample.gt_img = torch.rand(3, 8, 8) * 255
        samples.append(sample)
    losses = model.loss(x, samples)
    assert set(losses) == {'loss_l1', 'loss_svdo'}
    _, feats = model.generator(x, return_features=True)
    svdo = SVDOLoss(loss_weight=1e-5)
    expected = (svdo(feats['fdm'][0]) + svdo(feats['fdm'][1])) / 2
    assert torch.allclose(losses['loss_svdo'], expected)
