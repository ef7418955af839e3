"""Reading checkpoint files safely, and finding them.

:func:`load_checkpoint_file` loads a local checkpoint with
``weights_only=True`` and an allow-list of exactly the types MMEngine's own
checkpoints hold (:data:`CHECKPOINT_SAFE_GLOBALS`); a file holding anything
else is refused with a message naming the option that trusts it
(``--trust-checkpoint`` / ``TOOLBOX_TRUST_CHECKPOINTS=1``). Since torch 2.6
``torch.load`` refuses MMEngine's checkpoints (message-hub ``HistoryBuffer``
objects, numpy scalars) without such a list. :func:`find_checkpoint`
resolves a work dir to its newest checkpoint.
"""
import os
import os.path as osp
import pickle
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import find_latest_checkpoint

TRUST_ENV = 'TOOLBOX_TRUST_CHECKPOINTS'
TRUST_OPTION = '--trust-checkpoint'
PathLike = Union[str, Path]

# ---------------------------------------------------------------------------
# Safe loading
# ---------------------------------------------------------------------------


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


class NotACheckpointError(ValueError):
    """The file is not a PyTorch checkpoint at all (text, an image, a
    truncated download)."""


#: How files written by ``torch.save`` begin: a zip archive (torch>=1.6) or
#: a pickle of protocol 2 or higher (the legacy format).
_CHECKPOINT_MAGIC = (b'PK\x03\x04', b'\x80')


def _check_is_checkpoint(filename: str) -> None:
    """Refuse a file that ``torch.save`` cannot have written, before
    unpickling reports it as an untrusted object."""
    with open(filename, 'rb') as file:
        head = file.read(4)
    if not head.startswith(_CHECKPOINT_MAGIC):
        raise NotACheckpointError(
            f'{filename} is not a checkpoint: it does not begin like a file '
            'written by torch.save (a zip archive or a pickle); '
            f'{"it is empty" if not head else f"it begins with {head!r}"}. '
            'Name a .pth file written by tools/train.py or an official '
            'release.')


def load_checkpoint_file(filename: PathLike, map_location=None):
    """Load a local checkpoint with ``weights_only=True`` and the allow-list.

    Returns whatever the file holds (usually a dict). Official releases
    (tensors and numbers only) and MMEngine/toolbox checkpoints load without
    trusting the file.

    Raises:
        FileNotFoundError: if ``filename`` does not exist (the message
            names it).
        NotACheckpointError: the file was not written by ``torch.save``.
        UntrustedCheckpointError: if the file holds a type outside
            :data:`CHECKPOINT_SAFE_GLOBALS`; the message names the type and
            the option that trusts the file.
    """
    filename = osp.expanduser(os.fspath(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint file not found: {filename}')
    _check_is_checkpoint(filename)
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


# ---------------------------------------------------------------------------
# Locating checkpoints
# ---------------------------------------------------------------------------

def find_checkpoint(path: PathLike) -> str:
    """The checkpoint file that ``path`` stands for.

    ``path`` is a checkpoint file, a work dir, or a work dir's
    ``last_checkpoint`` file. A work dir resolves to its newest checkpoint,
    the one MMEngine recorded in ``last_checkpoint``
    (:func:`mmengine.runner.find_latest_checkpoint`); when the recorded path
    no longer exists (the folder was moved or copied), the file of that name
    inside the folder is used.

    Raises:
        FileNotFoundError: naming the path and what was looked for.
    """
    path = osp.expanduser(os.fspath(path))
    if osp.isdir(path):
        folder = path
    elif osp.basename(path) == 'last_checkpoint' and osp.isfile(path):
        folder = osp.dirname(path)
    elif osp.isfile(path):
        return path
    else:
        raise FileNotFoundError(f'Checkpoint file not found: {path}')
    if not osp.isfile(osp.join(folder, 'last_checkpoint')):
        raise FileNotFoundError(
            f'{folder} is a folder without a last_checkpoint file (MMEngine '
            'writes one next to the checkpoints of a training run): train '
            'there first, or name the .pth file')
    recorded = find_latest_checkpoint(folder) or ''
    for candidate in (recorded, osp.join(folder, osp.basename(recorded))):
        if recorded and osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'{osp.join(folder, "last_checkpoint")} names {recorded!r}, which '
        f'does not exist (nor does {osp.basename(recorded)!r} in {folder})')


__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'TRUST_ENV', 'TRUST_OPTION', 'PathLike',
    'UntrustedCheckpointError', 'NotACheckpointError',
    'set_checkpoint_trust', 'checkpoint_trusted', 'history_buffer_method',
    'load_checkpoint_file', 'find_checkpoint'
]
