"""ToolboxRunner: training's ``load_from`` and ``--resume`` load through the
weights pipeline (partial initialisation, network-only files, one short
error for a file of another width)."""
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook

from tests.helpers import write_paired_folder
from toolbox.engine.runner import ToolboxRunner
from toolbox.weights import CheckpointMismatchError

CONFIG = 'configs/demo/tiny_restorer.py'


@pytest.fixture
def cfg(tmp_path, repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    write_paired_folder(tmp_path / 'data', count=2, size=64)
    cfg = Config.fromfile(CONFIG)
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = str(tmp_path / 'data')
    cfg.train_dataloader.batch_size = 1
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_iters = 1
    cfg.train_cfg.val_interval = 100
    cfg.param_scheduler[0].T_max = 1
    cfg.work_dir = str(tmp_path / 'work')
    return cfg


def generator_state(seed: int, **dncnn) -> 'OrderedDict':
    from toolbox.models.backbones import DnCNN
    torch.manual_seed(seed)
    options = dict(mid_channels=32, depth=6, norm=None)
    options.update(dncnn)
    return DnCNN(**options).state_dict()


class _Probe(Hook):
    """The generator's weights when training starts (after loading)."""

    def before_train(self, runner):
        self.seen = {k: v.clone()
                     for k, v in runner.model.generator.state_dict().items()}


def train_one_step_from(cfg, checkpoint):
    cfg.load_from = str(checkpoint)
    runner = ToolboxRunner.from_cfg(cfg)
    probe = _Probe()
    runner.register_hook(probe)
    runner.train()
    return probe.seen


def test_load_from_a_network_only_release_initialises_the_generator(
        cfg, tmp_path):
    """An official release (``{'state_dict': {'module.*'}}`` of the
    network alone): MMEngine's loader found none of its keys in the model
    and trained on from random weights."""
    state = generator_state(seed=3)
    path = tmp_path / 'release.pth'
    torch.save(dict(state_dict=OrderedDict(
        ('module.' + k, v) for k, v in state.items())), path)
    seen = train_one_step_from(cfg, path)
    assert seen.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(seen[key], value), key


def test_load_from_is_a_partial_initialisation(cfg, tmp_path, monkeypatch):
    """A whole-model file with a key the model lacks and one tensor missing
    loads what it has and says how much in one warning."""
    state = OrderedDict(('generator.' + k, v)
                        for k, v in generator_state(seed=4).items())
    dropped = next(iter(state))
    del state[dropped]
    state['generator.extra.weight'] = torch.zeros(1)
    path = tmp_path / 'partial.pth'
    torch.save(dict(state_dict=state, meta=dict()), path)
    runner = ToolboxRunner.from_cfg(cfg)
    before = runner.model.generator.state_dict()[
        dropped[len('generator.'):]].clone()
    warnings = []
    monkeypatch.setattr(runner.logger, 'warning', warnings.append)
    runner.load_checkpoint(str(path))
    loaded = runner.model.generator.state_dict()
    for key, value in state.items():
        if key != 'generator.extra.weight':
            assert torch.equal(loaded[key[len('generator.'):]], value), key
    assert torch.equal(loaded[dropped[len('generator.'):]], before)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f'load_from: Non-strict loading of {path}')
    assert f'loaded {len(state) - 1} of {len(state)} tensors' in \
        warnings[0] and '1 unexpected keys' in warnings[0]


def test_load_from_of_another_width_is_refused_in_one_line(cfg, tmp_path):
    path = tmp_path / 'wide.pth'
    torch.save(generator_state(seed=5, mid_channels=48), path)
    with pytest.raises(CheckpointMismatchError) as error:
        train_one_step_from(cfg, path)
    message = str(error.value)
    assert message.startswith(f'load_from: {path} does not fit DnCNN')
    assert 'size mismatch' in message and '\n' not in message


def test_load_from_sharing_no_key_is_refused(cfg, tmp_path):
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'backbone.conv.weight': torch.zeros(3)}),
               path)
    with pytest.raises(CheckpointMismatchError,
                       match='no key of the file is one of its'):
        train_one_step_from(cfg, path)


def test_a_strict_load_demands_every_key(cfg, tmp_path):
    state = OrderedDict(('generator.' + k, v)
                        for k, v in generator_state(seed=6).items())
    state.popitem()
    path = tmp_path / 'short.pth'
    torch.save(dict(state_dict=state), path)
    runner = ToolboxRunner.from_cfg(cfg)
    with pytest.raises(CheckpointMismatchError,
                       match='1 keys missing from the file'):
        runner.load_checkpoint(str(path), strict=True)
