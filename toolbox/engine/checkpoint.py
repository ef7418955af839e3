"""Safe checkpoint loading and atomic checkpoint writing.

Two gaps of MMEngine 0.10.7 on current PyTorch are closed here, through
MMEngine's own extension points (no monkey-patching of its functions):

* **Loading.** Since torch 2.6, ``torch.load`` defaults to
  ``weights_only=True``, and MMEngine's checkpoints (which hold the message
  hub's :class:`~mmengine.logging.HistoryBuffer` objects and numpy scalars)
  are refused, so ``--resume`` fails. We keep ``weights_only=True`` and
  allow-list exactly the types MMEngine's own checkpoints contain
  (:data:`CHECKPOINT_SAFE_GLOBALS`). A file that holds anything else is
  refused with a message naming the option that trusts it
  (``--trust-checkpoint`` / ``TOOLBOX_TRUST_CHECKPOINTS=1``).
  The loader is registered with :class:`~mmengine.runner.CheckpointLoader`
  for local paths, so ``load_from``, ``resume``, ``init_cfg=Pretrained`` and
  :func:`mmengine.runner.load_checkpoint` all go through it.
* **Writing.** MMEngine writes checkpoints with a plain ``open(path, 'wb')``:
  a crash mid-save leaves a truncated file. :class:`AtomicLocalBackend`
  replaces the ``local`` file backend and writes to a temporary file in the
  same folder, fsyncs it and renames it over the target (``os.replace`` is
  atomic on POSIX and Windows), so a reader sees the old file or the new one,
  never half of one. ``last_checkpoint`` is written the same way.
"""
import os
import pickle
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio import io as mmengine_io
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

TRUST_ENV = 'TOOLBOX_TRUST_CHECKPOINTS'
TRUST_OPTION = '--trust-checkpoint'


def _numpy_safe_globals():
    """The numpy objects that pickled numpy scalars and arrays reference."""
    # numpy>=2 moved the pickling helpers to numpy._core; both names resolve
    # to the same objects, and pickles name whichever module wrote them.
    multiarray = getattr(np, '_core', np.core).multiarray
    allowed = [multiarray.scalar, multiarray._reconstruct, np.ndarray,
               np.dtype]
    # numpy>=1.25 pickles dtypes as instances of per-type classes
    # (numpy.dtypes.Float64DType, ...).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        allowed += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType') and isinstance(getattr(dtypes, name),
                                                     type)
        ]
    return allowed


_BUILTIN_STATISTICS = {'min', 'max', 'current', 'mean'}


def history_buffer_method(owner, name: str):
    """``getattr`` restricted to HistoryBuffer's statistics methods.

    A pickled ``HistoryBuffer`` stores its statistics methods
    (``HistoryBuffer.mean``, ...), which pickle (protocol 2, torch.save's
    default) writes as ``getattr(HistoryBuffer, 'mean')``. Allowing the real
    ``getattr`` would let a file reach any attribute of any allowed object;
    this stand-in resolves exactly those methods and refuses the rest.
    """
    # The four built-in statistics are registered lazily (on the first
    # HistoryBuffer()), custom ones with HistoryBuffer.register_statistics.
    allowed = _BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({owner!r}, {name!r}) is not allowed in a checkpoint')


#: Everything, beyond tensors and Python containers, that an MMEngine
#: checkpoint written by the toolbox holds: the message hub's history
#: buffers (with their statistics methods) and the numpy scalars/arrays
#: inside them and in ``meta``.
CHECKPOINT_SAFE_GLOBALS = [HistoryBuffer] + _numpy_safe_globals() + [
    (history_buffer_method, '__builtin__.getattr'),
    (history_buffer_method, 'builtins.getattr'),
]

_trust_all = False


def set_checkpoint_trust(trusted: bool) -> None:
    """Trust (or stop trusting) every checkpoint loaded in this process.

    Trusted checkpoints are loaded with ``weights_only=False``, which can run
    arbitrary code stored in the file: only use it for files you made or
    whose source you trust.
    """
    global _trust_all
    _trust_all = bool(trusted)


def checkpoint_trusted() -> bool:
    """Whether checkpoints are loaded with ``weights_only=False``."""
    return _trust_all or os.environ.get(TRUST_ENV, '') not in ('', '0')


@contextmanager
def _allow_checkpoint_types():
    with torch.serialization.safe_globals(CHECKPOINT_SAFE_GLOBALS):
        yield


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds an object outside the allow-list."""


def load_checkpoint_file(filename: Union[str, Path], map_location=None):
    """Load a local checkpoint with ``weights_only=True`` and the allow-list.

    Raises:
        FileNotFoundError: if ``filename`` does not exist (the message names it).
        UntrustedCheckpointError: if the file holds a type outside
            :data:`CHECKPOINT_SAFE_GLOBALS`; the message names the type and
            the option that trusts the file.
    """
    filename = os.path.expanduser(str(filename))
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'Checkpoint file not found: {filename}')
    if checkpoint_trusted():
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    try:
        with _allow_checkpoint_types():
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as error:
        found = re.search(r'GLOBAL (\S+)', str(error))
        what = found.group(1) if found else 'an object'
        raise UntrustedCheckpointError(
            f'Refusing to load checkpoint {filename}: it holds {what}, which '
            'is not among the types an MMEngine/toolbox checkpoint contains '
            '(tensors, containers, numpy scalars, HistoryBuffer), and '
            'unpickling it could run arbitrary code. If you trust this file, '
            f'pass {TRUST_OPTION} to tools/train.py, tools/test.py or '
            f'tools/infer.py (or set {TRUST_ENV}=1) to load it with '
            'weights_only=False.') from error


# '' is the scheme of local paths; force=True replaces MMEngine's loader,
# which calls torch.load without an allow-list.
CheckpointLoader.register_scheme(prefixes='', force=True)(
    load_checkpoint_file)


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose writes are atomic."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically (temp file + rename)."""
        atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically."""
        atomic_write_bytes(obj.encode(encoding), filepath)


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` so that ``filepath`` is either the old or the new file.

    The temporary file lives in the target's folder (a rename across file
    systems would not be atomic) and is removed if anything fails.
    """
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{os.path.basename(filepath)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


register_backend('local', AtomicLocalBackend, force=True, prefixes='')
# Backends are cached per (prefix, args); drop instances made before us.
mmengine_io.backend_instances.clear()
