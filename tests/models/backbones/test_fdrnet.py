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


def test_tied_igdn_parameter_counts():
    tied = FDRNet(tie_igdn=True)
    # 3 FA-layers × 6 phases, C² + C = 1,056 each.
    assert count(FDRNet()) - count(tied) == 19_008
    assert count(tied) == 1_641_563
    assert count(FDRNet(tie_igdn=True, num_aux_blocks=0)) == 1_191_275
    # Nothing to tie without the FDM.
    assert count(FDRNet(tie_igdn=True, lower_branch='resblocks')) == \
        count(FDRNet(lower_branch='resblocks'))


def test_tied_igdn_shares_the_mirrored_gdn_parameters():
    net = FDRNet(**dict(TINY, num_fd_layers=3, tie_igdn=True))
    branch = net.phases[1].lower
    ids = {id(p) for p in net.parameters()}
    for k, fa in enumerate(branch.fa_layers):
        gdn = branch.fd_layers[2 - k].gdn
        assert fa.igdn.raw_weight is gdn.raw_weight
        assert fa.igdn.raw_bias is gdn.raw_bias
        assert fa.igdn.inverse and not gdn.inverse
        assert id(gdn.raw_weight) in ids
    # Untied: every IGDN its own tensors.
    untied = FDRNet(**dict(TINY, num_fd_layers=3)).phases[1].lower
    assert untied.fa_layers[0].igdn.raw_weight is not \
        untied.fd_layers[2].gdn.raw_weight


def untied_copy_of(tied):
    """An untied network computing what ``tied`` computes: each IGDN holds
    a copy of the GDN values it is tied to."""
    untied = FDRNet(**dict(TINY, num_fd_layers=3))
    untied.load_state_dict(tied.state_dict())
    return untied


def test_tied_gradient_step_moves_gdn_and_igdn_together():
    torch.manual_seed(0)
    tied = FDRNet(**dict(TINY, num_fd_layers=3, tie_igdn=True))
    # Off the initial values, so that every entry gets a gradient.
    with torch.no_grad():
        for p in tied.parameters():
            p.add_(0.05 * torch.randn_like(p))
    untied = untied_copy_of(tied)
    x = torch.rand(2, 3, 8, 8)
    target = torch.rand(2, 3, 8, 8)
    for net in (tied, untied):
        (net(x) - target).abs().mean().backward()
    assert torch.allclose(tied(x), untied(x))
    for phase_t, phase_u in zip(tied.phases, untied.phases):
        for k in range(3):
            gdn_t = phase_t.lower.fd_layers[2 - k].gdn
            gdn_u = phase_u.lower.fd_layers[2 - k].gdn
            igdn_u = phase_u.lower.fa_layers[k].igdn
            # One tensor, used twice: its gradient is the sum of both uses.
            for name in ('raw_weight', 'raw_bias'):
                expected = getattr(gdn_u, name).grad + \
                    getattr(igdn_u, name).grad
                assert torch.allclose(getattr(gdn_t, name).grad, expected,
                                      atol=1e-7)
    before = {n: p.detach().clone() for n, p in tied.named_parameters()}
    torch.optim.SGD(tied.parameters(), lr=0.5).step()
    branch = tied.phases[0].lower
    for k, fa in enumerate(branch.fa_layers):
        gdn = branch.fd_layers[2 - k].gdn
        assert torch.equal(fa.igdn.raw_weight, gdn.raw_weight)
        assert torch.equal(fa.igdn.weight, gdn.weight)
        assert torch.equal(fa.igdn.bias, gdn.bias)
    name = 'phases.0.lower.fd_layers.2.gdn.raw_weight'
    assert not torch.equal(before[name], dict(tied.named_parameters())[name])
    # The step moved the shared tensor once (parameters() lists it once).
    assert len(list(tied.parameters())) == len(before)


def test_tied_checkpoints_and_untied_ones():
    from toolbox.weights import (CheckpointMismatchError,
                                 load_state_dict_strictly)
    torch.manual_seed(0)
    tied = FDRNet(**dict(TINY, num_fd_layers=3, tie_igdn=True)).eval()
    x = torch.rand(1, 3, 8, 8)
    # Tied → tied: same keys as untied, the shared values under both names.
    state = tied.state_dict()
    assert state.keys() == FDRNet(**dict(TINY, num_fd_layers=3)
                                  ).state_dict().keys()
    again = FDRNet(**dict(TINY, num_fd_layers=3, tie_igdn=True)).eval()
    load_state_dict_strictly(again, state, 'tied.pth')
    assert torch.equal(again(x), tied(x))
    # Tied → untied: each IGDN starts from its GDN's values.
    assert torch.allclose(untied_copy_of(tied).eval()(x), tied(x))
    # Untied → tied: refused, whichever loader reads it.
    untied = FDRNet(**dict(TINY, num_fd_layers=3))
    # Equal values (both initialised as 0.1·I, b = 1) load losslessly ...
    load_state_dict_strictly(
        FDRNet(**dict(TINY, num_fd_layers=3, tie_igdn=True)),
        untied.state_dict(), 'fresh.pth')
    # ... values of their own (a trained untied network) do not.
    with torch.no_grad():
        untied.phases[1].lower.fa_layers[0].igdn.raw_weight.add_(0.01)
    with pytest.raises(RuntimeError, match='tie_igdn=False'):
        again.load_state_dict(untied.state_dict())
    with pytest.raises(CheckpointMismatchError,
                       match=r'untied.pth: phases\.1\.lower\.fa_layers\.0\.'
                       r'igdn\.raw_weight differs .*tie_igdn=False') as error:
        load_state_dict_strictly(again, untied.state_dict(), 'untied.pth')
    assert '\n' not in str(error.value)
    # ... and the refused load changed nothing.
    assert torch.equal(again(x), tied(x))
