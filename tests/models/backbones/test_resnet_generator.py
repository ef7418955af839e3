"""ResnetGenerator: official layouts (CycleGAN and CUT/DCD-GAN), parameter
counts, strict loading, shapes, patch-NCE features, initialisation."""
from pathlib import Path

import pytest
import torch
from torch import nn

from toolbox.models.backbones.resnet_generator import (ResnetBlock,
                                                       ResnetGenerator)
from toolbox.models.layers.antialias import BlurPool2d, BlurUpsample2d
from toolbox.registry import MODELS

DATA = Path(__file__).parent / 'data'
KEY_FILES = {
    False: DATA / 'cyclegan_resnet9_official_keys.txt',
    True: DATA / 'cut_resnet9_official_keys.txt',
}
CUT_LAYERS = [0, 4, 8, 12, 16]


def official_keys(antialias):
    keys = {}
    for line in KEY_FILES[antialias].read_text().splitlines():
        if line and not line.startswith('#'):
            name, shape = line.split()
            keys[name] = tuple(int(s) for s in shape.split('x'))
    return keys


def count(module):
    return sum(p.numel() for p in module.parameters())


def tiny(**kwargs):
    torch.manual_seed(0)
    cfg = dict(base_channels=8, num_blocks=2)
    cfg.update(kwargs)
    return ResnetGenerator(**cfg).eval()


@pytest.mark.parametrize('antialias', [False, True])
def test_parameter_count_resnet9_ngf64(antialias):
    net = MODELS.build(dict(type='ResnetGenerator', antialias=antialias))
    assert count(net) == 11_378_179


def test_parameter_counts_of_other_settings():
    # Batch norm: convs lose their bias, norms gain weight and bias.
    assert count(ResnetGenerator(norm='batch')) == 11_383_427
    assert count(ResnetGenerator(num_blocks=6)) == 7_837_699


@pytest.mark.parametrize('antialias', [False, True])
def test_state_dict_matches_official_keys(antialias):
    expected = official_keys(antialias)
    ours = {k: tuple(v.shape)
            for k, v in ResnetGenerator(antialias=antialias)
            .state_dict().items()}
    assert sorted(set(ours) - set(expected)) == []
    assert sorted(set(expected) - set(ours)) == []
    assert ours == expected
    first_block = 12 if antialias else 10
    assert f'model.{first_block}.conv_block.1.weight' in ours


@pytest.mark.parametrize('antialias', [False, True])
def test_official_layout_state_dict_loads_strictly(antialias):
    torch.manual_seed(1)
    state = {k: torch.randn(shape)
             for k, shape in official_keys(antialias).items()}
    net = ResnetGenerator(antialias=antialias)
    net.load_state_dict(state, strict=True)
    for key in ('model.1.weight', 'model.12.conv_block.5.bias'):
        torch.testing.assert_close(net.state_dict()[key], state[key])
    # A file of the other variant does not load (the indices differ).
    with pytest.raises(RuntimeError):
        ResnetGenerator(antialias=not antialias).load_state_dict(state)


def test_load_official_state_dict_cleans_old_files():
    """Pre-0.4 CycleGAN files carry instance-norm statistics, DataParallel
    files a `module.` prefix; both load after cleaning."""
    net = tiny()
    state = {f'module.{k}': v.clone() + 1 for k, v in
             net.state_dict().items()}
    state['module.model.2.running_mean'] = torch.zeros(8)
    state['module.model.2.running_var'] = torch.ones(8)
    state['module.model.5.num_batches_tracked'] = torch.tensor(3)
    fresh = tiny()
    fresh.load_official_state_dict(state)
    torch.testing.assert_close(fresh.model[1].weight,
                               state['module.model.1.weight'])
    state['module.model.1.extra'] = torch.zeros(1)
    with pytest.raises(RuntimeError,
                       match='unexpected keys in the file .model.1.extra'):
        fresh.load_official_state_dict(state)


@pytest.mark.parametrize('antialias', [False, True])
def test_layer_lists(antialias):
    net = ResnetGenerator(antialias=antialias)
    kinds = [type(m) for m in net.model]
    assert len(kinds) == (32 if antialias else 28)
    assert kinds.count(ResnetBlock) == 9
    assert (BlurPool2d in kinds) == antialias
    assert (BlurUpsample2d in kinds) == antialias
    assert (nn.ConvTranspose2d in kinds) != antialias
    assert isinstance(net.model[-1], nn.Tanh)
    # The last conv has a bias; with instance norm all others do too.
    assert all(m.bias is not None for m in net.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))


def test_separate_upsampling_flag():
    net = ResnetGenerator(base_channels=8, num_blocks=1, antialias=False,
                          antialias_up=True)
    kinds = [type(m) for m in net.model]
    assert BlurPool2d not in kinds and BlurUpsample2d in kinds


def test_batch_norm_dropout_and_zero_padding():
    net = ResnetGenerator(base_channels=8, num_blocks=1, norm='batch',
                          use_dropout=True, padding_mode='zero')
    convs = [m for m in net.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert [m.bias is not None for m in convs] == [False] * 7 + [True]
    block = [m for m in net.model if isinstance(m, ResnetBlock)][0]
    kinds = [type(m) for m in block.conv_block]
    assert kinds == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Dropout,
                     nn.Conv2d, nn.BatchNorm2d]
    assert block.conv_block[0].padding == (1, 1)
    with pytest.raises(ValueError, match='padding_mode'):
        ResnetGenerator(padding_mode='circular')
    with pytest.raises(ValueError, match='norm'):
        ResnetGenerator(norm='group')


@pytest.mark.parametrize('antialias', [False, True])
@pytest.mark.parametrize('size,expected', [((32, 32), (32, 32)),
                                           ((36, 44), (36, 44)),
                                           ((30, 33), (32, 36))])
@torch.no_grad()
def test_output_shape_and_range(antialias, size, expected):
    net = tiny(antialias=antialias, in_channels=3, out_channels=1)
    y = net(torch.randn(2, 3, *size) * 3)
    assert y.shape == (2, 1, *expected)
    assert y.abs().max() <= 1


def test_residual_block_adds_its_input():
    block = ResnetBlock(4)
    with torch.no_grad():
        for m in block.conv_block:
            if isinstance(m, nn.Conv2d):
                m.weight.zero_()
                m.bias.zero_()
    x = torch.randn(1, 4, 8, 8)
    torch.testing.assert_close(block(x), x)


@pytest.mark.parametrize('antialias,shapes', [
    # CUT's shapes at 256² (seed_code.md §3: L0 3@262², L4 128@256²,
    # L8 256@128², L12/L16 256@64²), scaled to a 32² input.
    (True, [(3, 38, 38), (128, 32, 32), (256, 16, 16), (256, 8, 8),
            (256, 8, 8)]),
    # CycleGAN layout: L4 is the stride-2 conv, L8 the second norm.
    (False, [(3, 38, 38), (128, 16, 16), (256, 8, 8), (256, 8, 8),
             (256, 8, 8)]),
])
@torch.no_grad()
def test_cut_feature_layers_and_widths(antialias, shapes):
    net = ResnetGenerator(antialias=antialias).eval()
    x = torch.randn(1, 3, 32, 32)
    feats = net(x, layers=CUT_LAYERS, encode_only=True)
    assert [tuple(f.shape[1:]) for f in feats] == shapes
    assert net.feature_channels(CUT_LAYERS) == [s[0] for s in shapes]
    assert [type(net.model[i]).__name__ for i in (12, 16)] == \
        ['ResnetBlock'] * 2


@pytest.mark.parametrize('antialias', [False, True])
@torch.no_grad()
def test_features_are_layer_outputs(antialias):
    net = tiny(antialias=antialias)
    x = torch.randn(2, 3, 16, 16)
    every = list(range(net.num_layers))
    out, feats = net(x, layers=every)
    torch.testing.assert_close(out, net(x))
    torch.testing.assert_close(feats[-1], out)
    for i in every:
        reference = net.model[:i + 1](x)
        torch.testing.assert_close(feats[i], reference)
    # feature_channels agrees with the data for every layer.
    assert net.feature_channels(every) == [f.shape[1] for f in feats]
    # A norm output followed by an in-place ReLU is returned as it was
    # (not rectified afterwards).
    assert isinstance(net.model[3], nn.ReLU) and net.model[3].inplace
    assert feats[2].min() < 0


@torch.no_grad()
def test_requested_order_and_duplicates():
    net = tiny(antialias=True)
    x = torch.randn(1, 3, 16, 16)
    a, b, c = net(x, layers=[8, 0, 8], encode_only=True)
    torch.testing.assert_close(a, c)
    assert b.shape[1] == 3 and a.shape[1] == 32


def test_encode_only_stops_after_last_layer():
    net = tiny(antialias=True)
    calls = []
    for i, layer in enumerate(net.model):
        layer.register_forward_hook(lambda m, inp, out, i=i: calls.append(i))
    feats = net(torch.randn(1, 3, 16, 16), layers=[4, 1], encode_only=True)
    assert isinstance(feats, list) and len(feats) == 2
    assert calls == list(range(5))
    calls.clear()
    net(torch.randn(1, 3, 16, 16))
    assert calls == list(range(net.num_layers))


def test_feature_argument_errors():
    net = tiny()
    x = torch.randn(1, 3, 16, 16)
    with pytest.raises(IndexError, match='out of range'):
        net(x, layers=[net.num_layers])
    with pytest.raises(IndexError):
        net.feature_channels([-1])
    with pytest.raises(ValueError, match='encode_only'):
        net(x, encode_only=True)
    assert tiny(base_channels=4).feature_channels([1, 4, 7, 8]) == \
        [4, 8, 16, 16]


@pytest.mark.parametrize('init_type,check', [
    ('normal', lambda w: w.std().item() == pytest.approx(0.02, rel=0.05)),
    ('xavier', lambda w: w.std().item() < 0.01),
])
def test_init_weights_applies_init_type(init_type, check):
    torch.manual_seed(0)
    net = ResnetGenerator(base_channels=16, num_blocks=1,
                          init_type=init_type)
    before = net.model[1].weight.clone()
    net.init_weights()
    assert not torch.equal(before, net.model[1].weight)
    assert check(net.model[4].weight)
    assert all(m.bias.abs().max() == 0 for m in net.modules()
               if isinstance(m, nn.Conv2d))


def test_init_type_none_keeps_default_and_init_cfg_overrides():
    torch.manual_seed(0)
    net = ResnetGenerator(base_channels=8, num_blocks=1, init_type=None)
    before = net.model[1].weight.clone()
    net.init_weights()
    torch.testing.assert_close(net.model[1].weight, before)
    net = ResnetGenerator(
        base_channels=8, num_blocks=1,
        init_cfg=dict(type='Constant', val=0.5, layer='Conv2d'))
    net.init_weights()
    assert (net.model[1].weight == 0.5).all()


@pytest.mark.parametrize('antialias', [False, True])
def test_global_residual_starts_as_the_identity(antialias):
    """The demo configs' option: tanh(atanh(x) + h), the last conv at zero,
    so the untrained generator returns its input (to the atanh clamp), at
    sizes the network rounds up too; layers and keys are unchanged, and
    training moves it away from the identity."""
    torch.manual_seed(0)
    plain = ResnetGenerator(base_channels=8, num_blocks=1,
                            antialias=antialias)
    net = ResnetGenerator(base_channels=8, num_blocks=1, antialias=antialias,
                          global_residual=True)
    net.init_weights()
    assert list(net.state_dict()) == list(plain.state_dict())
    x = torch.rand(2, 3, 30, 34) * 2 - 1
    out = net(x)
    assert out.shape == (2, 3, 32, 36)
    assert (out[..., :30, :34] - x).abs().max() < 2e-3
    out, feats = net(x, layers=[0, 4])
    assert [f.shape[1] for f in feats] == net.feature_channels([0, 4])
    # Without the option, the same zeroed last conv gives tanh(0) = 0.
    plain.load_state_dict(net.state_dict())
    assert plain(x).abs().max() == 0
    # The last conv gets a gradient, and one step changes the output.
    net(x).abs().mean().backward()
    assert net.model[-2].weight.grad.abs().sum() > 0
    with torch.no_grad():
        net.model[-2].weight -= 0.1 * net.model[-2].weight.grad.sign()
    assert (net(x)[..., :30, :34] - x).abs().max() > 1e-2
