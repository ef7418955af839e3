import os

import numpy as np
import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from toolbox import weights
from toolbox.engine import checkpoint as ckpt
from toolbox.engine.checkpoint import (AtomicLocalBackend,
                                       install_safe_checkpoint_loader)
from toolbox.weights import (UntrustedCheckpointError, load_checkpoint_file,
                             set_checkpoint_trust)


@pytest.fixture(autouse=True)
def safe_loader():
    """MMEngine's loaders go through the toolbox's once installed (what the
    tools do first); installing is idempotent."""
    install_safe_checkpoint_loader()


class Payload:
    """A class outside the allow-list (stands for a malicious object)."""

    def __reduce__(self):
        return (os.getcwd, ())


def test_mmengine_checkpoint_types_load_with_weights_only(tmp_path):
    buffer = HistoryBuffer()
    buffer.update(np.float64(1.5))
    buffer.update(2.0)
    state = {
        'meta': {'iter': np.int64(7), 'ratio': np.float32(0.5)},
        'message_hub': {'log_scalars': {'train/loss': buffer}},
        'state_dict': {'w': torch.ones(2)},
    }
    path = tmp_path / 'ok.pth'
    torch.save(state, path)
    # Plain weights_only loading (torch's default) refuses these types...
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)
    # ... the toolbox loader accepts them, through MMEngine's loader path.
    loaded = _load_checkpoint(str(path), map_location='cpu')
    assert loaded['meta']['iter'] == 7
    restored = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(restored, HistoryBuffer)
    assert restored.mean() == pytest.approx(1.75)
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


def test_unknown_type_is_refused_with_option_named(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': Payload()}, path)
    with pytest.raises(UntrustedCheckpointError) as error:
        _load_checkpoint(str(path), map_location='cpu')
    message = str(error.value)
    assert '--trust-checkpoint' in message
    assert 'TOOLBOX_TRUST_CHECKPOINTS' in message
    assert str(path) in message


def test_trust_switch_loads_unknown_types(tmp_path, monkeypatch):
    path = tmp_path / 'custom.pth'
    torch.save({'payload': Payload()}, path)
    set_checkpoint_trust(True)
    try:
        loaded = load_checkpoint_file(path)
    finally:
        set_checkpoint_trust(False)
    assert loaded['payload'] == os.getcwd()
    monkeypatch.setenv(weights.TRUST_ENV, '1')
    assert load_checkpoint_file(path)['payload'] == os.getcwd()


def test_missing_checkpoint_names_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(tmp_path / 'nope.pth')


def test_local_backend_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / 'sub' / 'latest.pth'
    backend = get_file_backend(str(target))
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'old', target)
    assert target.read_bytes() == b'old'

    # Simulate a crash in the middle of writing the new file.
    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        backend.put(b'new-but-interrupted', target)
    assert target.read_bytes() == b'old'
    # No temporary file is left behind.
    assert os.listdir(target.parent) == ['latest.pth']
    monkeypatch.undo()
    backend.put_text('new', target)
    assert target.read_text() == 'new'


class Sneaky:
    """Pickles as getattr on an allowed class, but not a statistics method."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__subclasses__'))


def test_restricted_getattr_refuses_other_attributes(tmp_path):
    path = tmp_path / 'sneaky.pth'
    torch.save({'x': Sneaky()}, path)
    with pytest.raises(UntrustedCheckpointError):
        load_checkpoint_file(path)


# ------------------------------------------------------- explicit install

INSTALL_PROBE = """
from mmengine.fileio import get_file_backend
import toolbox.apis, toolbox.engine, toolbox.models  # noqa
from toolbox.engine.checkpoint import (AtomicLocalBackend,
    install_safe_checkpoint_loader, load_runner_checkpoint)
from mmengine.runner.checkpoint import CheckpointLoader
def state():
    atomic = isinstance(get_file_backend('x.pth'), AtomicLocalBackend)
    local = CheckpointLoader._schemes.get('')  # MMEngine's loader table
    return local is load_runner_checkpoint, atomic
print(state())
install_safe_checkpoint_loader()
print(state())
"""


def test_importing_installs_nothing_the_explicit_call_installs(repo_root):
    import subprocess
    import sys
    out = subprocess.run([sys.executable, '-c', INSTALL_PROBE],
                         cwd=repo_root, capture_output=True, text=True,
                         check=True).stdout.split('\n')
    assert out[:2] == ['(False, False)', '(True, True)']


def safe_checkpoint_loader_installed() -> bool:
    """Whether MMEngine reads local paths with the toolbox's loader."""
    from mmengine.runner.checkpoint import CheckpointLoader
    return CheckpointLoader._schemes.get('') is ckpt.load_runner_checkpoint


def test_entry_points_install_the_loader(tmp_path, monkeypatch, repo_root):
    import argparse

    from mmengine.runner.checkpoint import CheckpointLoader, load_from_local

    from mmengine.config import Config

    from toolbox.apis import init_model
    from toolbox.app.runner_setup import load_config
    from toolbox.engine.runner import ToolboxRunner
    for entry in ('load_config', 'init_model', 'ToolboxRunner'):
        # as if never installed (undone after the test)
        monkeypatch.setitem(CheckpointLoader._schemes, '', load_from_local)
        assert not safe_checkpoint_loader_installed()
        if entry == 'load_config':
            args = argparse.Namespace(cfg_options={}, launcher='none',
                                      work_dir=str(tmp_path),
                                      trust_checkpoint=False)
            load_config(f'{repo_root}/configs/demo/tiny_restorer.py', args)
        elif entry == 'init_model':
            init_model(f'{repo_root}/configs/demo/tiny_restorer.py')
        else:  # a script that builds the toolbox's Runner itself
            cfg = Config.fromfile(
                f'{repo_root}/configs/demo/tiny_restorer.py')
            cfg.work_dir = str(tmp_path / 'runner')
            ToolboxRunner.from_cfg(cfg)
        assert safe_checkpoint_loader_installed(), entry


# ------------------------------------------------- state dicts and files


def test_extract_state_dict_cleans_official_and_toolbox_keys():
    w = torch.ones(1)
    official = {'state_dict': {'module.conv.weight': w, 'module.fc.bias': w}}
    assert list(weights.extract_state_dict(official)) == ['conv.weight',
                                                          'fc.bias']
    toolbox_file = {'meta': {}, 'state_dict': {
        'generator.conv.weight': w, 'losses.l1.dummy': w}}
    # 'auto' takes the generator of a toolbox checkpoint ...
    assert list(weights.extract_state_dict(toolbox_file)) == ['conv.weight']
    # ... None keeps every key, a prefix picks its part
    assert len(weights.extract_state_dict(toolbox_file, prefix=None)) == 2
    assert list(weights.extract_state_dict(
        toolbox_file, prefix='losses.')) == ['l1.dummy']
    bare = {'model.0.weight': w, 'model.1.running_mean': w}
    assert list(weights.extract_state_dict(
        bare, revise_keys=[(r'^model\.', 'net.')],
        ignore_keys=[r'running_mean$'])) == ['net.0.weight']
    assert weights.strip_prefix({'a.x': w, 'b.y': w}, 'a.',
                                keep_others=False) == {'x': w}
    with pytest.raises(KeyError, match="no keys start with 'generator_b.'"):
        weights.extract_state_dict(official, prefix='generator_b.')
    with pytest.raises(TypeError, match='no state dict'):
        weights.extract_state_dict({'epoch': 3, 'optimizer': {}})


def test_find_checkpoint_resolves_work_dirs(tmp_path):
    work_dir = tmp_path / 'run'
    work_dir.mkdir()
    (work_dir / 'iter_4.pth').write_bytes(b'x')
    with pytest.raises(FileNotFoundError, match='without a last_checkpoint'):
        weights.find_checkpoint(work_dir)
    # MMEngine records the newest checkpoint's path in last_checkpoint
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_4.pth'))
    assert weights.find_checkpoint(work_dir) == str(work_dir / 'iter_4.pth')
    assert weights.find_checkpoint(work_dir / 'last_checkpoint') == \
        str(work_dir / 'iter_4.pth')
    # a work dir copied elsewhere: the recorded path is gone
    (work_dir / 'last_checkpoint').write_text('/gone/run/iter_4.pth')
    assert weights.find_checkpoint(work_dir) == str(work_dir / 'iter_4.pth')
    (work_dir / 'last_checkpoint').write_text('/gone/run/iter_9.pth')
    with pytest.raises(FileNotFoundError, match='iter_9.pth'):
        weights.find_checkpoint(work_dir)
    assert weights.find_checkpoint(work_dir / 'iter_4.pth') == \
        str(work_dir / 'iter_4.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        weights.find_checkpoint(tmp_path / 'nope.pth')


def test_load_weights_strict_with_a_short_error_naming_the_file(tmp_path):
    torch.manual_seed(0)
    source = torch.nn.Sequential(*[torch.nn.Conv2d(4, 4, 3)
                                   for _ in range(30)])
    path = tmp_path / 'release.pth'
    torch.save({'state_dict': {'module.' + k: v for k, v in
                               source.state_dict().items()}}, path)
    target = torch.nn.Sequential(*[torch.nn.Conv2d(4, 4, 3)
                                   for _ in range(30)])
    assert weights.load_weights(target, path) == str(path)
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value)
    wider = torch.nn.Sequential(*[torch.nn.Conv2d(4, 4, 5)
                                  for _ in range(30)])
    with pytest.raises(weights.CheckpointMismatchError) as error:
        weights.load_weights(wider, path, what='Generator A')
    message = str(error.value)
    assert message.startswith('Generator A: ') and str(path) in message
    assert 'size mismatch in 30 of 60 tensors' in message
    assert '0.weight: file 4×4×3×3, network 4×4×5×5' in message
    assert '\n' not in message and len(message) < 400
    deeper = tmp_path / 'deeper.pth'
    torch.save(torch.nn.Sequential(*source, torch.nn.Conv2d(4, 4, 1))
               .state_dict(), deeper)
    with pytest.raises(weights.CheckpointMismatchError,
                       match='2 unexpected keys in the file'):
        weights.load_weights(target, deeper)
    weights.load_weights(target, deeper, allow_extra_keys=True)
    with pytest.raises(weights.CheckpointMismatchError,
                       match='2 keys missing from the file'):
        weights.load_weights(torch.nn.Sequential(*target, torch.nn.Conv2d(
            4, 4, 1)), path)


# --------------------------------------------------------- frozen modules


class Holder(ckpt.FrozenModuleHolder, torch.nn.Module):
    """Owns ``own``, uses ``fixed``."""

    def __init__(self):
        super().__init__()
        self.own = torch.nn.Linear(2, 2)
        self.hold_frozen('fixed', torch.nn.Sequential(
            torch.nn.Linear(2, 2), torch.nn.Dropout(0.5)))


def test_frozen_modules_are_held_outside_the_tree():
    holder = Holder()
    fixed = holder.frozen_module('fixed')
    assert list(holder.state_dict()) == ['own.weight', 'own.bias']
    assert {id(p) for p in holder.parameters()} == {
        id(p) for p in holder.own.parameters()}
    assert all(not p.requires_grad for p in fixed.parameters())
    holder.train()
    assert holder.own.training and not fixed.training
    fixed.train()  # someone reaches in: the accessor puts it back
    assert not holder.frozen_module('fixed').training
    holder.to(torch.float64)  # device/dtype moves reach it
    assert fixed[0].weight.dtype == torch.float64
    assert dict(holder.held_modules) == {'fixed': fixed}


def test_load_weights_non_strict_on_purpose(tmp_path):
    """Teachers load strictly; strict=False (a teacher's option) loads what
    fits and keeps the rest."""
    from torch import nn

    from toolbox.weights import CheckpointMismatchError, load_weights
    wide, narrow = nn.Conv2d(3, 8, 3), nn.Conv2d(3, 4, 3)
    torch.save({'weight': narrow.weight.data, 'bias': narrow.bias.data},
               tmp_path / 'n.pth')
    with pytest.raises(CheckpointMismatchError, match='size mismatch'):
        load_weights(wide, tmp_path / 'n.pth', what="Teacher 'rain'")
    before = wide.weight.clone()
    load_weights(wide, tmp_path / 'n.pth', strict=False)
    assert torch.equal(wide.weight, before)


def test_wrapper_keys_come_out_before_a_model_and_after_a_network():
    """Issue 28: what DDP adds to the keys (module. before a whole model,
    <network>.module. per network, nested) goes; a network's own sub-module
    named module, next to others, stays; _metadata follows the keys."""
    from collections import OrderedDict
    w = torch.ones(1)
    state = OrderedDict([('module.g.module.conv.weight', w),
                         ('module.d.module.fc.bias', w),
                         ('module.h.module.x', w), ('module.h.other', w)])
    state._metadata = OrderedDict([('', 1), ('module', 2), ('module.g', 3),
                                   ('module.g.module', 4)])
    clean = weights.strip_wrapper_keys(state)
    assert list(clean) == ['g.conv.weight', 'd.fc.bias', 'h.module.x',
                           'h.other']
    assert clean._metadata == {'': 2, 'g': 4}
    plain = {'generator.body.0.weight': w}
    assert weights.strip_wrapper_keys(plain) == plain
    # extract_state_dict (test.py, infer.py, teachers) cleans them too.
    assert list(weights.extract_state_dict(
        {'state_dict': {'generator_a2b.module.model.1.weight': w}},
        prefix=None)) == ['generator_a2b.model.1.weight']


def test_wrapped_networks_load_files_in_unwrapped_names():
    """A model whose networks sit in wrappers (dist_test.sh) is compared and
    loaded in the names of the unwrapped model, strictly and not."""
    from torch import nn

    from toolbox.weights import (CheckpointMismatchError, load_fitting_tensors,
                                 load_state_dict_strictly)
    model = nn.Module()
    model.gen = nn.DataParallel(nn.Conv2d(3, 3, 1))  # a wrapper on CPU too
    model.disc = nn.Linear(2, 2)
    assert list(weights.wrapper_key_map(model).items())[0] == (
        'gen.weight', 'gen.module.weight')
    source = nn.Module()
    source.gen, source.disc = nn.Conv2d(3, 3, 1), nn.Linear(2, 2)
    load_state_dict_strictly(model, source.state_dict(), 'plain.pth')
    assert torch.equal(model.gen.module.weight, source.gen.weight)
    with pytest.raises(CheckpointMismatchError,
                       match=r'plain.pth does not fit Module: 2 keys '
                       r'missing from the file \(disc.weight, disc.bias\)'):
        load_state_dict_strictly(model, {'gen.weight': source.gen.weight,
                                         'gen.bias': source.gen.bias},
                                 'plain.pth')
    assert load_fitting_tensors(model.gen, {'weight': source.gen.weight})[:2] \
        == (1, 2)
