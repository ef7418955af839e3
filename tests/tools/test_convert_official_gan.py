"""tools/convert_official_gan.py: a whole official CycleGAN / CUT / DCD-GAN
checkpoint folder as one toolbox checkpoint (toolbox/engine/official_gan.py).

The official folders are written here from seeded toolbox networks, in the
official names and layouts: generators and discriminators as the official
code saves them (the toolbox's keys are the official ones, checked against
the recorded key files by the backbone and head tests), the feature MLPs
as ``PatchSampleF``'s ``mlp_<l>.*`` (the layout recorded in
tests/models/heads/data/dcdgan_patchsamplef_official_keys.txt)."""
from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from tests.tools.test_gan_tools import demo_options  # noqa: F401
from tests.tools.test_gan_tools import gan_data  # noqa: F401
from tests.tools.test_reliability import run_inprocess
from toolbox.engine.official_gan import (OFFICIAL_NETWORKS,
                                         patch_sample_f_to_toolbox)
from toolbox.registry import MODELS

DCDGAN = 'configs/dcdgan/dcdgan_demo.py'
CYCLEGAN = 'configs/cyclegan/cyclegan_demo.py'
F_KEYS = Path(__file__).parents[1] / 'models' / 'heads' / 'data' / \
    'dcdgan_patchsamplef_official_keys.txt'
TOOL = 'tools/convert_official_gan.py'


def build(config, seed):
    cfg = Config.fromfile(config)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('toolbox'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def official_f(head) -> 'OrderedDict':
    """``head`` (a PatchSampleMLP) as the official PatchSampleF saves it."""
    return OrderedDict(
        (f'mlp_{layer}.{index}.{name}', tensor.clone())
        for layer, mlp in enumerate(head.mlps)
        for index in (0, 2)
        for name, tensor in mlp[index].state_dict().items())


def write_official_folder(folder, model, method, which='latest'):
    """``model``'s networks as the official code of ``method`` saves them;
    G_A as saved from DataParallel before PyTorch 0.4 (``module.`` and the
    instance-norm statistics the official loader drops)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, target in OFFICIAL_NETWORKS[method].items():
        network = getattr(model, target)
        if target.startswith('head'):
            state = official_f(network)
        else:
            state = OrderedDict((k, v.clone())
                                for k, v in network.state_dict().items())
        if name == 'G_A':
            state['model.2.running_mean'] = torch.zeros(4)
            state['model.2.running_var'] = torch.ones(4)
            state = OrderedDict((f'module.{k}', v) for k, v in state.items())
        torch.save(state, folder / f'{which}_net_{name}.pth')
    return folder


def assert_same_state(a, b):
    assert list(a) == list(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_official_f_layout_is_the_recorded_one():
    """The recorded official PatchSampleF keys (full size) map onto the
    toolbox's full-size DCD-GAN head, key for key, shape for shape."""
    from toolbox.models.heads.patch_sampler import PatchSampleMLP
    recorded = OrderedDict()
    for line in F_KEYS.read_text().splitlines():
        if line and not line.startswith('#'):
            key, shape = line.split()
            recorded[key] = torch.empty(
                [int(s) for s in shape.split('x')], device='meta')
    with torch.device('meta'):
        head = PatchSampleMLP(in_channels=(128, 256, 256, 256))
    converted = patch_sample_f_to_toolbox(recorded)
    own = head.state_dict()
    assert list(converted) == list(own)
    assert all(converted[k].shape == own[k].shape for k in own)
    # and back: what this test writes as "official" is that layout
    assert list(official_f(head)) == list(recorded)


def test_dcdgan_folder_converts_and_trains_from_load_from(
        repo_root, gan_data, tmp_path, capsys, monkeypatch):  # noqa: F811
    reference = build(DCDGAN, seed=1)
    folder = write_official_folder(tmp_path / 'experiment', reference,
                                   'dcdgan')
    out = tmp_path / 'converted.pth'
    code, log = run_inprocess(repo_root, TOOL, [
        folder, '--config', DCDGAN, '--out', out], capsys, monkeypatch)
    assert code == 0, log[-3000:]
    assert 'latest_net_F1.pth -> head_a2b' in log
    assert 'latest_net_D_A.pth -> discriminator_b' in log
    checkpoint = torch.load(out, map_location='cpu', weights_only=True)
    fresh = build(DCDGAN, seed=2)
    fresh.load_state_dict(checkpoint['state_dict'], strict=True)
    assert_same_state(fresh.state_dict(), reference.state_dict())
    assert checkpoint['meta']['epoch'] == checkpoint['meta']['iter'] == 0
    assert set(checkpoint['optimizer']) == {'generators', 'discriminators',
                                            'heads'}
    # One iteration from it: the weights the run starts from are the
    # converted ones (one Adam step moves each weight by about lr at most).
    work = tmp_path / 'work'
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        DCDGAN, '--work-dir', work, '--cfg-options', f'load_from={out}'] +
        demo_options(gan_data, max_iters=1, interval=1), capsys, monkeypatch)
    assert code == 0, log[-3000:]
    trained = torch.load(work / 'iter_1.pth', map_location='cpu',
                         weights_only=False)['state_dict']
    moved = 0
    for key, value in reference.state_dict().items():
        step = (trained[key].float() - value.float()).abs().max().item()
        assert step <= 1.01e-3, key  # lr: 1e-4 (G, D), 1e-3 (heads)
        moved += step > 0
    assert moved > 0


def test_cut_folder_needs_init_missing_for_the_backward_direction(
        repo_root, tmp_path, capsys, monkeypatch):
    reference = build(DCDGAN, seed=3)
    folder = write_official_folder(tmp_path / 'cut', reference, 'cut')
    out = tmp_path / 'cut.pth'
    code, log = run_inprocess(repo_root, TOOL, [
        folder, '--config', DCDGAN, '--out', out], capsys, monkeypatch)
    assert code == 2 and not out.exists()
    assert ('the official cut has no network for the toolbox\'s '
            'generator_b2a, discriminator_a, head_b2a; pass --init-missing'
            ) in log
    code, log = run_inprocess(repo_root, TOOL, [
        folder, '--config', DCDGAN, '--out', out, '--init-missing',
        '--seed', '7'], capsys, monkeypatch)
    assert code == 0, log[-3000:]
    state = torch.load(out, map_location='cpu',
                       weights_only=True)['state_dict']
    ours = reference.state_dict()
    initialised = build(DCDGAN, seed=7).state_dict()
    for key in ours:
        # G, F, D -> G_A, F1, D_A; the rest as the config initialises it.
        source = ours if key.startswith(
            ('generator_a2b.', 'head_a2b.', 'discriminator_b.')) \
            else initialised
        assert torch.equal(state[key], source[key]), key


def test_unusable_f_files_are_named(repo_root, tmp_path, capsys,
                                    monkeypatch):
    reference = build(DCDGAN, seed=4)
    folder = write_official_folder(tmp_path / 'dcd', reference, 'dcdgan')
    # An F saved before its first forward pass: no MLPs at all.
    torch.save(OrderedDict(), folder / 'latest_net_F2.pth')
    code, log = run_inprocess(repo_root, TOOL, [
        folder, '--config', DCDGAN, '--out', tmp_path / 'x.pth'],
        capsys, monkeypatch)
    assert code == 2
    assert (f'{folder}/latest_net_F2.pth holds no MLPs: the official '
            'PatchSampleF creates them on its first forward pass') in log
    # CUT's default nce_layers (0, 4, 8, 12, 16): five MLPs.
    five = official_f(reference.head_b2a)
    five.update({'mlp_4.' + k.split('.', 1)[1]: v for k, v in five.items()
                 if k.startswith('mlp_0.')})
    torch.save(five, folder / 'latest_net_F2.pth')
    code, log = run_inprocess(repo_root, TOOL, [
        folder, '--config', DCDGAN, '--out', tmp_path / 'x.pth'],
        capsys, monkeypatch)
    assert code == 2
    assert 'holds 5 MLPs (one per NCE layer), the config\'s head has 4 ' \
        '(model.nce_layers=(4, 8, 12, 16))' in log
    # A generator of another width: the strict load names file and keys.
    cfg = Config.fromfile(DCDGAN)
    cfg.model.generator.base_channels = 8
    with DefaultScope.overwrite_default_scope('toolbox'):
        narrow = MODELS.build(cfg.model)
    torch.save(narrow.generator_b2a.state_dict(),
               folder / 'latest_net_G_B.pth')
    torch.save(official_f(reference.head_b2a), folder / 'latest_net_F2.pth')
    code, log = run_inprocess(repo_root, TOOL, [
        folder, '--config', DCDGAN, '--out', tmp_path / 'x.pth'],
        capsys, monkeypatch)
    assert code == 2
    assert f'generator_b2a: {folder}/latest_net_G_B.pth does not fit' in log
    assert 'Traceback' not in log


@pytest.fixture
def one_iteration_cyclegan(repo_root, gan_data, tmp_path_factory,  # noqa: F811
                           capsys, monkeypatch):
    """A real 1-iteration run of the CycleGAN demo on a 2-iteration
    schedule, and its checkpoint."""
    work = tmp_path_factory.mktemp('cyclegan_straight')
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        CYCLEGAN, '--work-dir', work, '--cfg-options'] +
        [o for o in demo_options(gan_data, max_iters=2, interval=1)
         if 'max_iters' not in o] + ['train_cfg.max_iters=1'],
        capsys, monkeypatch)
    assert code == 0, log[-3000:]
    return torch.load(work / 'iter_1.pth', map_location='cpu',
                      weights_only=False)


def test_cyclegan_folder_resumes_where_the_schedule_stood(
        repo_root, gan_data, one_iteration_cyclegan, tmp_path,  # noqa: F811
        capsys, monkeypatch):
    """Converted at iteration 1, the file holds the optimisers' rates and
    schedulers' states a real run holds there, and --resume goes on from
    iteration 1."""
    reference = build(CYCLEGAN, seed=5)
    folder = write_official_folder(tmp_path / 'cg', reference, 'cyclegan',
                                   which='7')
    out = tmp_path / 'cg.pth'
    options = demo_options(gan_data, max_iters=2, interval=1)
    code, log = run_inprocess(repo_root, TOOL, [
        folder, '--config', CYCLEGAN, '--out', out, '--which', '7',
        '--iter', '1', '--cfg-options'] + [
            o for o in options if o.startswith('param_scheduler')],
        capsys, monkeypatch)
    assert code == 0, log[-3000:]
    assert 'epoch 7, iteration 1' in log
    converted = torch.load(out, map_location='cpu', weights_only=True)
    real = one_iteration_cyclegan
    assert converted['param_schedulers'] == real['param_schedulers']
    for name in ('generators', 'discriminators'):
        ours = converted['optimizer'][name]['param_groups']
        theirs = real['optimizer'][name]['param_groups']
        assert ours == theirs  # rates, betas, initial_lr, parameter ids
    work = tmp_path / 'work'
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        CYCLEGAN, '--work-dir', work, '--resume', out, '--cfg-options'] +
        options, capsys, monkeypatch)
    assert code == 0, log[-3000:]
    assert 'Iter(train) [2/2]' in log and 'Iter(train) [1/2]' not in log
    resumed = torch.load(work / 'iter_2.pth', map_location='cpu',
                         weights_only=False)
    assert resumed['meta']['iter'] == 2
