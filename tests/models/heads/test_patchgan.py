"""PatchGANDiscriminator: official layouts, parameter count, strict
loading, output size, initialisation."""
from pathlib import Path

import pytest
import torch
from torch import nn

from toolbox.models.heads.patchgan import PatchGANDiscriminator
from toolbox.models.layers.antialias import BlurPool2d
from toolbox.registry import MODELS

DATA = Path(__file__).parent / 'data'
KEY_FILES = {
    False: DATA / 'cyclegan_patchgan_official_keys.txt',
    True: DATA / 'cut_patchgan_official_keys.txt',
}


def official_keys(antialias):
    keys = {}
    for line in KEY_FILES[antialias].read_text().splitlines():
        if line and not line.startswith('#'):
            name, shape = line.split()
            keys[name] = tuple(int(s) for s in shape.split('x'))
    return keys


def count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('antialias', [False, True])
def test_parameter_count_70x70(antialias):
    net = MODELS.build(dict(type='PatchGANDiscriminator',
                            antialias=antialias))
    assert count(net) == 2_764_737


@pytest.mark.parametrize('antialias', [False, True])
def test_state_dict_matches_official_keys_and_loads(antialias):
    expected = official_keys(antialias)
    net = PatchGANDiscriminator(antialias=antialias)
    ours = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert ours == expected
    torch.manual_seed(0)
    state = {k: torch.randn(shape) for k, shape in expected.items()}
    net.load_state_dict(state, strict=True)
    torch.testing.assert_close(net.model[0].weight, state['model.0.weight'])
    with pytest.raises(RuntimeError):
        PatchGANDiscriminator(antialias=not antialias).load_state_dict(state)


def test_layout_and_biases():
    net = PatchGANDiscriminator()
    convs = [m for m in net.model if isinstance(m, nn.Conv2d)]
    assert [m.out_channels for m in convs] == [64, 128, 256, 512, 1]
    assert [m.stride[0] for m in convs] == [2, 2, 2, 1, 1]
    assert all(m.kernel_size == (4, 4) and m.padding == (1, 1)
               for m in convs)
    assert all(m.bias is not None for m in convs)
    slopes = {m.negative_slope for m in net.modules()
              if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    # Batch norm: only the first and last convs keep a bias.
    net = PatchGANDiscriminator(norm='batch')
    convs = [m for m in net.model if isinstance(m, nn.Conv2d)]
    assert [m.bias is not None for m in convs] == \
        [True, False, False, False, True]
    # Anti-aliased: stride-1 convs, each former stride-2 one followed by a
    # blur pool; widths grow up to 8·ndf.
    net = PatchGANDiscriminator(base_channels=4, num_layers=5,
                                antialias=True)
    convs = [m for m in net.model if isinstance(m, nn.Conv2d)]
    assert all(m.stride == (1, 1) for m in convs)
    assert [m.out_channels for m in convs] == [4, 8, 16, 32, 32, 32, 1]
    assert sum(isinstance(m, BlurPool2d) for m in net.model) == 5
    with pytest.raises(ValueError, match='num_layers'):
        PatchGANDiscriminator(num_layers=0)


def test_output_size_formula():
    net = PatchGANDiscriminator()
    assert net.output_size(256) == 30  # the 1×30×30 map of CycleGAN
    assert net.output_size((64, 96)) == (6, 10)
    assert PatchGANDiscriminator(num_layers=2).output_size(64) == 14


@pytest.mark.parametrize('antialias', [False, True])
@pytest.mark.parametrize('num_layers', [2, 3])
@pytest.mark.parametrize('size', [(64, 64), (70, 97)])
@torch.no_grad()
def test_output_shape(antialias, num_layers, size):
    net = PatchGANDiscriminator(base_channels=8, num_layers=num_layers,
                                antialias=antialias)
    out = net(torch.randn(2, 3, *size))
    assert out.shape == (2, 1, *net.output_size(size))


def test_load_official_state_dict_with_instance_norm_stats():
    net = PatchGANDiscriminator(base_channels=8)
    state = dict(net.state_dict())
    state['model.3.running_mean'] = torch.zeros(16)
    state['model.3.running_var'] = torch.ones(16)
    state['model.3.num_batches_tracked'] = torch.tensor(0)
    with pytest.raises(RuntimeError):
        net.load_state_dict(state)
    net.load_official_state_dict(state)


def test_init_weights():
    torch.manual_seed(0)
    net = PatchGANDiscriminator(init_type='normal', init_gain=0.02)
    net.init_weights()
    w = net.model[5].weight  # 128 → 256 conv
    assert w.std().item() == pytest.approx(0.02, rel=0.02)
    assert all(m.bias.abs().max() == 0 for m in net.modules()
               if isinstance(m, nn.Conv2d))
