"""norm='none' in the CycleGAN family: no normalisation, convs with bias."""
import pytest
import torch
from torch import nn

from toolbox.models.backbones.resnet_generator import ResnetGenerator
from toolbox.models.heads.patchgan import PatchGANDiscriminator
from toolbox.models.layers.norm import build_norm, conv_bias_for


def test_none_is_the_identity_and_keeps_the_bias():
    assert isinstance(build_norm('none', 8), nn.Identity)
    assert conv_bias_for('none') and conv_bias_for('instance')
    assert not conv_bias_for('batch')
    with pytest.raises(ValueError, match="norm must be one of"):
        build_norm('group', 8)


@pytest.mark.parametrize('network', [
    lambda: ResnetGenerator(base_channels=4, num_blocks=1, norm='none'),
    lambda: PatchGANDiscriminator(base_channels=4, num_layers=2,
                                  norm='none')])
def test_networks_without_norm_see_the_global_level(network):
    # Instance norm removes every channel's mean: a network with it cannot
    # tell an image from the image brightened by a constant (a veil).
    net = network()
    assert not any(isinstance(m, (nn.InstanceNorm2d, nn.BatchNorm2d))
                   for m in net.modules())
    assert all(m.bias is not None for m in net.modules()
               if isinstance(m, nn.Conv2d))
    x = torch.rand(1, 3, 32, 32) * 0.5
    assert not torch.allclose(net(x), net(x + 0.3))


def test_with_instance_norm_the_generator_is_blind_to_a_constant():
    # The reason 'none' exists (docs/methods/dcdgan.md, demo): after the
    # first instance norm a constant added to the input is gone.
    net = ResnetGenerator(base_channels=4, num_blocks=1, norm='instance')
    x = torch.rand(1, 3, 32, 32) * 0.5
    assert torch.allclose(net(x), net(x + 0.3), atol=1e-5)
