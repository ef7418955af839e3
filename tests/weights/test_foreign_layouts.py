"""MMagic's CycleGAN checkpoints in the toolbox's CycleGAN.

The MMagic layout comes from tests/engine/data/
mmagic_cyclegan_horse2zebra_keys.txt (recorded from MMagic's source, see
its header). The "equivalent" MMagic file of a set of official networks is
built here without the toolbox's key mapping: both layouts list the same
convolutions in forward order, so the recorded MMagic keys are paired with
the official ones by position (and the shapes must agree).
"""
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from mmengine.registry import DefaultScope

from toolbox.apis import init_model
from toolbox.engine.checkpoint import install_safe_checkpoint_loader
from toolbox.weights import (CheckpointMismatchError, adapt_state_dict,
                             load_weights)
from toolbox.registry import MODELS
from toolbox.weights.mmagic import (convert_mmagic_cyclegan,
                                    is_mmagic_cyclegan,
                                    mmagic_patch_discriminator_to_official,
                                    mmagic_resnet_generator_to_official)

DATA = Path(__file__).parents[1] / 'engine' / 'data'
MMAGIC_KEYS = DATA / 'mmagic_cyclegan_horse2zebra_keys.txt'
OFFICIAL = Path(__file__).parents[1] / 'models'
OFFICIAL_G = OFFICIAL / 'backbones' / 'data' / \
    'cyclegan_resnet9_official_keys.txt'
OFFICIAL_D = OFFICIAL / 'heads' / 'data' / \
    'cyclegan_patchgan_official_keys.txt'
CONFIG = 'configs/cyclegan/cyclegan_demo.py'
# ResNet-9 and a 3-layer PatchGAN (the recorded layouts' key names) at a
# test-sized width.
TINY = {'model.generator.num_blocks': 9, 'model.generator.base_channels': 8,
        'model.discriminator.base_channels': 8}
# ...and at the recorded width (built on the meta device only).
FULL = {'model.generator.num_blocks': 9, 'model.generator.base_channels': 64,
        'model.discriminator.base_channels': 64}


def read_layout(path) -> 'OrderedDict[str, tuple]':
    layout = OrderedDict()
    for line in Path(path).read_text().splitlines():
        if line and not line.startswith('#'):
            key, shape = line.split()
            layout[key] = tuple(int(s) for s in shape.split('x'))
    return layout


def mmagic_part(layout, prefix):
    return OrderedDict((k[len(prefix):], v) for k, v in layout.items()
                       if k.startswith(prefix))


def build_cyclegan(cfg_options=None, device=None):
    from toolbox.apis import load_model_config
    config = load_model_config(CONFIG, cfg_options)
    with DefaultScope.overwrite_default_scope('toolbox'):
        if device is None:
            return MODELS.build(config.model)
        with torch.device(device):
            return MODELS.build(config.model)


def test_recorded_mmagic_layout_is_what_the_mapping_expects():
    mmagic = read_layout(MMAGIC_KEYS)
    for network, official_file, convert in (
            ('generators', OFFICIAL_G, mmagic_resnet_generator_to_official),
            ('discriminators', OFFICIAL_D,
             mmagic_patch_discriminator_to_official)):
        official = read_layout(official_file)
        for domain in ('horse', 'zebra'):
            part = mmagic_part(mmagic, f'{network}.{domain}.')
            # same convolutions in the same order: pair by position
            assert [part[k] for k in part] == [official[k] for k in official]
            paired = dict(zip(part, official))
            mapped = convert(OrderedDict((k, k) for k in part))
            assert dict((v, k) for k, v in mapped.items()) == paired


def test_full_size_mmagic_checkpoint_loads_strictly_into_cyclegan():
    """The whole recorded model (ResNet-9, 64 channels) on the meta
    device: every key lands on a toolbox tensor of its shape."""
    model = build_cyclegan(FULL, device='meta')
    state = OrderedDict((k, torch.empty(s, device='meta'))
                        for k, s in read_layout(MMAGIC_KEYS).items())
    converted, note = adapt_state_dict(model, state)
    own = model.state_dict()
    assert list(converted) == list(own)
    assert all(converted[k].shape == own[k].shape for k in own)
    assert "domain A is 'horse', B is 'zebra'" in note
    assert 'generators.zebra -> generator_a2b' in note
    model.load_state_dict(state, strict=True)


def _flip_rgb_by_position(network_state, generator: bool):
    """What a BGR-trained copy of an RGB network holds: the first weight
    reads the channels reversed; a generator's last weight and bias write
    them reversed (by position, not by key)."""
    keys = list(network_state)
    out = OrderedDict(network_state)
    out[keys[0]] = out[keys[0]].flip(1)
    if generator:
        out[keys[-2]] = out[keys[-2]].flip(0)
        out[keys[-1]] = out[keys[-1]].flip(0)
    return out


@pytest.fixture(scope='module')
def official_and_mmagic_files(tmp_path_factory):
    """Official files (G_A, G_B, D_A, D_B) of a tiny random CycleGAN and
    the MMagic model-zoo file holding the same networks."""
    folder = tmp_path_factory.mktemp('cyclegan_files')
    torch.manual_seed(0)
    reference = build_cyclegan(TINY)
    official = {'G_A': reference.generator_a2b, 'G_B': reference.generator_b2a,
                'D_A': reference.discriminator_b,
                'D_B': reference.discriminator_a}
    for name, network in official.items():
        with torch.no_grad():  # bias-free init is too regular a test
            for param in network.parameters():
                param.add_(0.05 * torch.randn_like(param))
        torch.save(network.state_dict(), folder / f'latest_net_{name}.pth')
    # MMagic: generators[d] makes domain d (zebra = B: G_A's job),
    # discriminators[d] judges domain d (zebra: D_A's job); BGR networks.
    source = {'generators.zebra.': ('G_A', True),
              'generators.horse.': ('G_B', True),
              'discriminators.horse.': ('D_B', False),
              'discriminators.zebra.': ('D_A', False)}
    layout = read_layout(MMAGIC_KEYS)
    state = OrderedDict()
    for prefix in ('generators.horse.', 'generators.zebra.',
                   'discriminators.horse.', 'discriminators.zebra.'):
        name, generator = source[prefix]
        bgr = _flip_rgb_by_position(official[name].state_dict(), generator)
        keys = list(mmagic_part(layout, prefix))
        assert len(keys) == len(bgr)
        for key, value in zip(keys, bgr.values()):
            state[prefix + key] = value.clone()
    torch.save(dict(meta=dict(mmagic_version='1.2.0', epoch=0, iter=266800),
                    state_dict=state), folder / 'mmagic_horse2zebra.pth')
    return folder


def _outputs(model, x):
    with torch.no_grad():
        return (model.generator_a2b(x), model.generator_b2a(x),
                model.discriminator_a(x), model.discriminator_b(x))


def test_mmagic_file_gives_the_official_networks_outputs(
        official_and_mmagic_files):
    folder = official_and_mmagic_files
    from_official = build_cyclegan(TINY).eval()
    for name, network in (('G_A', 'generator_a2b'), ('G_B', 'generator_b2a'),
                          ('D_A', 'discriminator_b'),
                          ('D_B', 'discriminator_a')):
        load_weights(getattr(from_official, network),
                     folder / f'latest_net_{name}.pth')
    from_mmagic = build_cyclegan(TINY).eval()
    checkpoint = torch.load(folder / 'mmagic_horse2zebra.pth')
    assert is_mmagic_cyclegan(checkpoint['state_dict'])
    from_mmagic.load_state_dict(checkpoint['state_dict'], strict=True)
    x = torch.rand(2, 3, 32, 32) * 2 - 1  # RGB in [-1, 1]
    for a, b in zip(_outputs(from_official, x), _outputs(from_mmagic, x)):
        assert torch.allclose(a, b, atol=1e-5)
    # MMEngine's loader (load_from, tools/test.py) goes the same way
    from mmengine.runner import load_checkpoint
    install_safe_checkpoint_loader()
    through_mmengine = build_cyclegan(TINY).eval()
    load_checkpoint(through_mmengine, str(folder / 'mmagic_horse2zebra.pth'),
                    strict=True)
    for a, b in zip(_outputs(from_official, x),
                    _outputs(through_mmengine, x)):
        assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize('direction,official', [('a2b', 'G_A'),
                                                ('b2a', 'G_B')])
def test_init_model_runs_the_same_direction_as_the_official_file(
        official_and_mmagic_files, direction, official):
    folder = official_and_mmagic_files
    options = dict(TINY, **{'model.test_cfg.direction': direction})
    a = init_model(CONFIG, str(folder / f'latest_net_{official}.pth'),
                   cfg_options=options)
    b = init_model(CONFIG, str(folder / 'mmagic_horse2zebra.pth'),
                   cfg_options=options)
    x = torch.rand(1, 3, 24, 24) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(a.restore(x), b.restore(x), atol=1e-5)


def test_domain_a_and_channel_order_options():
    layout = read_layout(MMAGIC_KEYS)
    state = OrderedDict((k, torch.zeros(s)) for k, s in layout.items()
                        if k.split('.')[1] in ('horse', 'zebra'))
    state['generators.horse.model.0.conv.weight'] = \
        torch.arange(3.).view(1, 3, 1, 1).expand(64, 3, 7, 7).clone()
    converted, note = convert_mmagic_cyclegan(state, domain_a='zebra')
    assert "domain A is 'zebra', B is 'horse'" in note
    assert 'generators.horse -> generator_a2b' in note
    assert converted['generator_a2b.model.1.weight'][0, :, 0, 0].tolist() \
        == [2., 1., 0.]  # BGR made RGB
    converted, note = convert_mmagic_cyclegan(state, channel_order='rgb')
    assert converted['generator_b2a.model.1.weight'][0, :, 0, 0].tolist() \
        == [0., 1., 2.]
    assert 'BGR' not in note
    with pytest.raises(ValueError, match="domain_a='cat'"):
        convert_mmagic_cyclegan(state, domain_a='cat')


def _renamed(state, names):
    return OrderedDict((k.replace('.horse.', f'.{names[0]}.').replace(
        '.zebra.', f'.{names[1]}.'), v) for k, v in state.items())


def test_mmediting_0x_layout_points_the_other_way():
    layout = read_layout(MMAGIC_KEYS)
    state = _renamed(OrderedDict((k, torch.zeros(s))
                                 for k, s in layout.items()), ('a', 'b'))
    marker = torch.full((64, 3, 7, 7), 7.)
    state['generators.a.model.0.conv.weight'] = marker
    state['discriminators.a.model.4.bias'] = torch.full((1, ), 5.)
    with pytest.raises(ValueError, match='--layout mmedit0'):
        convert_mmagic_cyclegan(state)
    converted, note = convert_mmagic_cyclegan(state, layout='mmedit0')
    # MMEditing 0.x: generators.a translates A to B (official G_A) and
    # discriminators.a judges B (official D_A); its networks are RGB.
    assert torch.equal(converted['generator_a2b.model.1.weight'], marker)
    assert converted['discriminator_b.model.11.bias'].item() == 5.
    assert 'BGR' not in note
    # ...and with MMagic's reading, generators.a makes A images
    converted, _ = convert_mmagic_cyclegan(state, layout='mmagic')
    assert torch.equal(converted['generator_b2a.model.1.weight'], marker)
    assert converted['discriminator_a.model.11.bias'].item() == 5.


def test_a_key_outside_the_layout_is_an_error_naming_it(tmp_path):
    layout = read_layout(MMAGIC_KEYS)
    state = OrderedDict((k, torch.zeros(s)) for k, s in layout.items())
    state['generators.horse.model.0.extra.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match='model.0.extra.weight'):
        convert_mmagic_cyclegan(state)
    torch.save(dict(state_dict=state), tmp_path / 'bad.pth')
    with pytest.raises(CheckpointMismatchError, match='bad.pth.*extra'):
        init_model(CONFIG, str(tmp_path / 'bad.pth'), cfg_options=FULL)


def test_convert_tool_writes_a_toolbox_checkpoint(official_and_mmagic_files,
                                                  tmp_path, repo_root):
    folder = official_and_mmagic_files
    out = tmp_path / 'zebra2horse.pth'
    result = subprocess.run(
        [sys.executable, 'tools/convert_mmagic_cyclegan.py',
         str(folder / 'mmagic_horse2zebra.pth'), str(out),
         '--domain-a', 'zebra'],
        cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "domain A is 'zebra'" in result.stdout
    converted = torch.load(out)
    assert 'generator_a2b.model.1.weight' in converted['state_dict']
    # A is now zebra: the toolbox's a2b is the official G_B (zebra → horse)
    a = init_model(CONFIG, str(folder / 'latest_net_G_B.pth'),
                   cfg_options=TINY)
    b = init_model(CONFIG, str(out), cfg_options=TINY)
    x = torch.rand(1, 3, 24, 24) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(a.restore(x), b.restore(x), atol=1e-5)


def test_basicsr_network_file_loads_through_load_from_and_init_model(
        tmp_path):
    """``net_g_*.pth`` of BasicSR: ``{'params': sd, 'params_ema': sd}``."""
    from mmengine.runner import load_checkpoint
    config = 'configs/demo/tiny_restorer.py'
    torch.manual_seed(0)
    source = init_model(config)
    params = source.generator.state_dict()
    ema = OrderedDict((k, v + 1) for k, v in params.items())
    torch.save(dict(params=params, params_ema=ema), tmp_path / 'net_g.pth')
    torch.save(dict(params_ema=ema), tmp_path / 'net_g_ema.pth')
    install_safe_checkpoint_loader()
    for name, expected in (('net_g.pth', params), ('net_g_ema.pth', ema)):
        loaded = init_model(config, str(tmp_path / name))
        through_mmengine = init_model(config)
        load_checkpoint(through_mmengine, str(tmp_path / name), strict=True)
        for model in (loaded, through_mmengine):
            for key, value in model.generator.state_dict().items():
                assert torch.equal(value, expected[key]), (name, key)


@pytest.fixture
def adapter_calls(monkeypatch):
    """How often each registered adapter's ``detect`` and ``convert`` ran:
    ``{(adapter name, 'detect' | 'convert'): calls}``."""
    from collections import Counter

    from toolbox.registry import STATE_DICT_ADAPTERS
    calls = Counter()
    for name, adapter in STATE_DICT_ADAPTERS.module_dict.items():
        for method in ('detect', 'convert'):
            def counted(state, _original=getattr(adapter, method),
                        _key=(name, method)):
                calls[_key] += 1
                return _original(state)
            monkeypatch.setattr(adapter, method, staticmethod(counted))
    return calls


def _mprnet_files(folder):
    """A tiny MPRNet Restorer, and its generator saved as the official
    release does (``{'state_dict': {'module.*'}}``) and as BasicSR does
    (``{'params': ...}``)."""
    torch.manual_seed(0)
    source = init_model('configs/demo/paired_folders.py')
    state = source.generator.state_dict()
    torch.save(dict(state_dict=OrderedDict(
        ('module.' + k, v) for k, v in state.items())),
        folder / 'model_deraining.pth')
    torch.save(dict(params=state), folder / 'net_g.pth')
    return state


def _loaded_model(route, config, cfg_options, path, work_dir):
    """The model of ``config`` with ``path`` loaded the tools' way
    (``load_model_weights``) or as training's ``load_from`` (the Runner's
    ``load_checkpoint``)."""
    from toolbox.weights import load_model_weights
    if route == 'tool':
        model = init_model(config, cfg_options=cfg_options)
        load_model_weights(model, str(path))
        return model
    from mmengine.config import Config

    from toolbox.engine.runner import ToolboxRunner
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(dict(cfg_options or {}))
    cfg.work_dir = str(work_dir)
    runner = ToolboxRunner.from_cfg(cfg)
    runner.load_checkpoint(str(path))
    return runner.model


@pytest.mark.parametrize('layout,route', [
    ('official MPRNet', 'tool'), ('official MPRNet', 'load_from'),
    ('BasicSR params', 'tool'), ('BasicSR params', 'load_from'),
    ('official CycleGAN G', 'tool'), ('official CycleGAN G', 'load_from'),
    ('official CycleGAN D', 'tool'),
    ('MMagic CycleGAN', 'tool'), ('MMagic CycleGAN', 'load_from')])
def test_each_foreign_layout_loads_through_the_one_pipeline_converted_once(
        layout, route, adapter_calls, official_and_mmagic_files, tmp_path,
        repo_root, monkeypatch):
    """One load runs each adapter's detection at most once and the matching
    conversion exactly once (it ran up to three times: in the loader, in
    the strict load and in the model's ``_load_from_state_dict``), whether
    a tool loads the file or training's ``load_from`` does."""
    monkeypatch.chdir(repo_root)
    files = official_and_mmagic_files
    work_dir = tmp_path / 'work'
    expected_conversions = {}
    if layout in ('official MPRNet', 'BasicSR params'):
        state = _mprnet_files(tmp_path)
        name = 'model_deraining.pth' if layout == 'official MPRNet' \
            else 'net_g.pth'
        model = _loaded_model(route, 'configs/demo/paired_folders.py', None,
                              tmp_path / name, work_dir)
        loaded = model.generator.state_dict()
        expected = state
        # The file reader takes BasicSR's params (extract_state_dict); the
        # adapter is for MMEngine's own loader (a user's script), which
        # reads no such files.
    elif layout == 'official CycleGAN D':
        model = build_cyclegan(TINY)
        load_weights(model.discriminator_a,
                     str(files / 'latest_net_D_B.pth'), prefix=None)
        loaded = model.discriminator_a.state_dict()
        expected = torch.load(files / 'latest_net_D_B.pth')
    else:
        name = 'latest_net_G_A.pth' if layout == 'official CycleGAN G' \
            else 'mmagic_horse2zebra.pth'
        model = _loaded_model(route, CONFIG, TINY, files / name, work_dir)
        loaded = model.generator_a2b.state_dict()
        if layout == 'official CycleGAN G':
            expected = torch.load(files / 'latest_net_G_A.pth')
        else:
            expected = torch.load(files / 'latest_net_G_A.pth')
            expected_conversions = {'MMagicCycleGANLayout': 1}
            # Converted from BGR: compare away from the colour convs.
            loaded = {k: v for k, v in loaded.items()
                      if k.startswith('model.10.')}
    assert loaded and all(torch.equal(v, expected[k])
                          for k, v in loaded.items()), layout
    for (name, method), count in adapter_calls.items():
        if method == 'detect':
            assert count <= 1, (layout, name, count)
        else:
            assert count == expected_conversions.get(name, 0), (layout, name)
    for name, count in expected_conversions.items():
        assert adapter_calls[name, 'convert'] == count, (layout, name)


def test_an_adapter_without_model_class_or_methods_is_refused():
    from toolbox.weights.adapters import StateDictAdapter
    with pytest.raises(TypeError, match='sets applies_to'):
        class NoModel(StateDictAdapter):  # noqa: F841
            layout = 'x'
            detect = staticmethod(lambda state: False)
            convert = staticmethod(lambda state: (state, ''))
    with pytest.raises(TypeError, match='missing: convert'):
        class NoConvert(StateDictAdapter):  # noqa: F841
            applies_to = torch.nn.Module
            layout = 'x'
            detect = staticmethod(lambda state: False)


def test_a_plugin_layout_loads_through_init_model(tmp_path):
    """docs/plugins.md: an adapter registered next to its model converts
    such files wherever weights load."""
    from toolbox.models.algorithms.restorer import Restorer
    from toolbox.registry import STATE_DICT_ADAPTERS
    from toolbox.weights.adapters import StateDictAdapter
    config = 'configs/demo/tiny_restorer.py'
    torch.manual_seed(0)
    source = init_model(config)
    torch.save({'net_g.' + k: v for k, v in
                source.generator.state_dict().items()},
               tmp_path / 'other.pth')

    class OtherToolboxLayout(StateDictAdapter):
        applies_to = Restorer
        layout = 'OtherToolbox'

        @staticmethod
        def detect(state):
            return any(k.startswith('net_g.') for k in state)

        @staticmethod
        def convert(state):
            return ({'generator.' + k[len('net_g.'):]: v
                     for k, v in state.items()}, 'Loading OtherToolbox')

    STATE_DICT_ADAPTERS.register_module(module=OtherToolboxLayout)
    try:
        loaded = init_model(config, str(tmp_path / 'other.pth'))
    finally:
        STATE_DICT_ADAPTERS.module_dict.pop('OtherToolboxLayout')
    for key, value in loaded.generator.state_dict().items():
        assert torch.equal(value, source.generator.state_dict()[key]), key
    with pytest.raises(CheckpointMismatchError):
        init_model(config, str(tmp_path / 'other.pth'))  # unregistered
