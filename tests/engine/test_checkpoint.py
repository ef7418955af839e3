import os

import numpy as np
import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from toolbox.engine import checkpoint as ckpt
from toolbox.engine.checkpoint import (AtomicLocalBackend,
                                       UntrustedCheckpointError,
                                       load_checkpoint_file,
                                       set_checkpoint_trust)


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
    monkeypatch.setenv(ckpt.TRUST_ENV, '1')
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

    monkeypatch.setattr(ckpt.os, 'replace', crash)
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
