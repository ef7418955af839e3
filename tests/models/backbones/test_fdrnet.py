import pytest
import torch

from toolbox.models.backbones.fdrnet import FDRNet
from toolbox.models.layers.gdn import GDN, IGDN

TINY = dict(channels=8, num_phases=2, num_fd_layers=2, num_process_blocks=1,
            num_aux_blocks=1, reduction=4, num_lower_blocks=2)


def count(module):
    return sum(p.numel() for p in module.parameters())


def test_parameter_counts_of_table_5():
    full = count(FDRNet())
    no_aux = count(FDRNet(num_aux_blocks=0))
    no_fdm = count(FDRNet(lower_branch='resblocks'))
    assert full == 1_660_571          # paper: 1.66M
    assert no_aux == 1_210_283        # paper: 1.21M
    assert no_fdm == 1_672_787        # paper: 1.62M, "almost the same"
    assert round(full / 1e6, 2) == 1.66 and round(no_aux / 1e6, 2) == 1.21
    assert abs(no_fdm - full) / full < 0.01


def test_parameter_counts_of_table_6():
    by_layers = {k: count(FDRNet(num_fd_layers=k)) for k in (1, 2, 4, 5)}
    assert by_layers == {1: 854_891, 2: 1_257_731, 4: 2_063_411,
                         5: 2_466_251}
    by_channels = {c: count(FDRNet(channels=c)) for c in (16, 48, 64)}
    assert by_channels == {16: 417_487, 48: 3_729_255, 64: 6_623_539}


def test_forward_keeps_the_size_and_returns_the_image_only():
    net = FDRNet(**TINY)
    x = torch.rand(2, 3, 13, 10)
    out = net(x)
    assert isinstance(out, torch.Tensor) and out.shape == x.shape


def test_features_are_the_fdm_outputs_of_every_phase():
    torch.manual_seed(0)
    net = FDRNet(**TINY).eval()
    x = torch.rand(1, 3, 12, 12)
    out, feats = net(x, return_features=True)
    assert torch.equal(out, net(x))
    assert set(feats) == {'fdm', 'fdm_in'}
    assert len(feats['fdm']) == len(feats['fdm_in']) == 2
    assert all(f.shape == (1, 8, 12, 12) for f in feats['fdm'])
    # The first phase's FDM input is the head feature; its output is the
    # last FD-layer's.
    assert torch.equal(feats['fdm_in'][0], net.head(x))
    branch = net.phases[0].lower
    d = feats['fdm_in'][0]
    for layer in branch.fd_layers:
        d = layer(d)
    assert torch.allclose(feats['fdm'][0], d)


def test_fd_layer_and_fa_layer_contents():
    net = FDRNet(**TINY)
    branch = net.phases[0].lower
    assert isinstance(branch.fd_layers[0].gdn, GDN)
    assert not branch.fd_layers[0].gdn.inverse
    assert isinstance(branch.fa_layers[0].igdn, IGDN)
    assert len(branch.fa_layers) == len(branch.fd_layers) == 2


def test_ablation_switches():
    x = torch.rand(1, 3, 8, 8)
    no_fdm = FDRNet(**dict(TINY, lower_branch='resblocks'))
    out, feats = no_fdm(x, return_features=True)
    assert feats == dict(fdm=[], fdm_in=[]) and out.shape == x.shape
    no_aux = FDRNet(**dict(TINY, num_aux_blocks=0))
    assert no_aux.phases[0].aux is None and no_aux.phases[0].fusion is None
    assert no_aux(x).shape == x.shape
    # Skips and the dual residual change the function, not the parameters.
    torch.manual_seed(0)
    a = FDRNet(**TINY)
    for kwargs in (dict(fd_fa_skip=False), dict(dual_residual=False)):
        b = FDRNet(**dict(TINY, **kwargs))
        b.load_state_dict(a.state_dict())
        assert not torch.allclose(a(x), b(x))
    with pytest.raises(ValueError, match='lower_branch'):
        FDRNet(lower_branch='unet')


def test_gradients_reach_every_gdn():
    net = FDRNet(**TINY)
    out, feats = net(torch.rand(2, 3, 8, 8), return_features=True)
    (out.mean() + sum(f.pow(2).mean() for f in feats['fdm'])).backward()
    for name, param in net.named_parameters():
        assert param.grad is not None, name
    raw = net.phases[1].lower.fd_layers[0].gdn.raw_weight
    assert raw.grad.abs().sum() > 0
