"""CycleGAN-style initialisation and the norm helpers."""
import pytest
import torch
from torch import nn

from toolbox.models.layers.norm import build_norm, conv_bias_for
from toolbox.weights import drop_untracked_norm_stats
from toolbox.models.layers.weight_init import init_gan_weights


def net():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(64, 128, 3), nn.BatchNorm2d(128),
        nn.ConvTranspose2d(128, 64, 3), nn.InstanceNorm2d(64),
        nn.Linear(256, 256))


def weights(model, kind):
    return [m for m in model.modules() if isinstance(m, kind)]


def test_normal_init_statistics():
    model = init_gan_weights(net(), 'normal', 0.02)
    for m in weights(model, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        assert m.weight.std().item() == pytest.approx(0.02, rel=0.05)
        assert m.weight.mean().abs().item() < 0.002
        assert m.bias.abs().max().item() == 0
    bn = weights(model, nn.BatchNorm2d)[0]
    assert bn.weight.mean().item() == pytest.approx(1.0, abs=0.01)
    assert bn.weight.std().item() == pytest.approx(0.02, rel=0.3)
    assert bn.bias.abs().max().item() == 0


def test_gain_scales_normal_init():
    model = init_gan_weights(net(), 'normal', 0.1)
    conv = weights(model, nn.Conv2d)[0]
    assert conv.weight.std().item() == pytest.approx(0.1, rel=0.05)


def test_xavier_orthogonal_kaiming():
    conv = nn.Conv2d(64, 128, 3)
    fan_in, fan_out = 64 * 9, 128 * 9
    init_gan_weights(conv, 'xavier', 0.02)
    expected = 0.02 * (2 / (fan_in + fan_out))**0.5
    assert conv.weight.std().item() == pytest.approx(expected, rel=0.05)
    init_gan_weights(conv, 'kaiming', 0.02)  # gain unused, as released
    assert conv.weight.std().item() == pytest.approx((2 / fan_in)**0.5,
                                                     rel=0.05)
    lin = nn.Linear(32, 16)
    init_gan_weights(lin, 'orthogonal', 0.5)
    torch.testing.assert_close(lin.weight @ lin.weight.T,
                               0.25 * torch.eye(16), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match='init_type'):
        init_gan_weights(conv, 'uniform')


def test_norm_helpers():
    inorm = build_norm('instance', 8)
    assert isinstance(inorm, nn.InstanceNorm2d)
    assert not inorm.affine and not inorm.track_running_stats
    assert list(inorm.state_dict()) == []
    bnorm = build_norm('batch', 8)
    assert isinstance(bnorm, nn.BatchNorm2d) and bnorm.affine
    assert conv_bias_for('instance') and not conv_bias_for('batch')
    for fn in (lambda: build_norm('group', 8), lambda: conv_bias_for('group')):
        with pytest.raises(ValueError, match='norm'):
            fn()


def test_drop_untracked_norm_stats():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), build_norm('instance', 4),
                          nn.Conv2d(4, 4, 1), build_norm('batch', 4))
    # An instance norm that kept statistics (pre-0.4 / track_running_stats)
    saved = nn.Sequential(nn.Conv2d(3, 4, 1),
                          nn.InstanceNorm2d(4, track_running_stats=True),
                          nn.Conv2d(4, 4, 1), build_norm('batch', 4))
    state = {f'module.{k}': v for k, v in saved.state_dict().items()}
    with pytest.raises(RuntimeError, match='Unexpected'):
        model.load_state_dict({k[7:]: v for k, v in state.items()})
    cleaned = drop_untracked_norm_stats(state, model)
    assert '1.running_mean' not in cleaned and '1.running_var' not in cleaned
    # The batch norm's statistics are expected, so they stay.
    assert '3.running_mean' in cleaned and '3.num_batches_tracked' in cleaned
    model.load_state_dict(cleaned, strict=True)
