"""Everything about checkpoints, in one place.

Loading and writing files
    :func:`load_checkpoint_file` loads a local checkpoint with
    ``weights_only=True`` and an allow-list of exactly the types MMEngine's
    own checkpoints hold (:data:`CHECKPOINT_SAFE_GLOBALS`); a file holding
    anything else is refused with a message naming the option that trusts
    it (``--trust-checkpoint`` / ``TOOLBOX_TRUST_CHECKPOINTS=1``).
    :class:`AtomicLocalBackend` writes checkpoints (and ``last_checkpoint``)
    atomically. MMEngine 0.10.7 needs both on current PyTorch: since torch
    2.6 ``torch.load`` refuses MMEngine's checkpoints (message-hub
    ``HistoryBuffer`` objects, numpy scalars), so ``--resume`` fails; and
    MMEngine writes with a plain ``open(path, 'wb')``, so a crash mid-save
    leaves a truncated file.

Installing them into MMEngine (explicitly)
    :func:`install_safe_checkpoint_loader` registers the loader with
    :class:`~mmengine.runner.CheckpointLoader` for local paths (so
    ``load_from``, ``resume``, ``init_cfg=Pretrained`` and
    :func:`mmengine.runner.load_checkpoint` use it, with the wrappers'
    ``module.`` taken out of the keys: :func:`load_runner_checkpoint`) and
    the atomic backend for local files. Importing this module changes nothing: the entry points
    call the function (``tools/*.py``, :func:`toolbox.apis.init_model`,
    :func:`toolbox.engine.runner_setup.load_config`), and so must a script
    that builds its own ``Runner``. The toolbox's own loaders below call
    :func:`load_checkpoint_file` directly and need no installation.

Official and toolbox state dicts
    :func:`extract_state_dict` takes a network's weights out of a toolbox
    checkpoint (``{'state_dict': {'generator.*': ...}}``), an official
    release (``{'state_dict': sd}``, keys often ``module.``-prefixed by
    ``DataParallel``), a BasicSR network file (``{'params': sd}``) or a
    bare state dict; :func:`strip_wrapper_keys` (the ``module.`` that DDP
    puts before a whole model's or each network's keys) and
    :func:`strip_prefix` are the key cleaning it uses. :func:`find_checkpoint` resolves a work dir to its
    newest checkpoint (MMEngine's
    :func:`~mmengine.runner.find_latest_checkpoint`). :func:`load_weights`
    loads a (sub-)network strictly from any of these and fails with
    :class:`CheckpointMismatchError`, a short summary that names the file,
    instead of one line per mismatching tensor; a model with wrapped
    networks inside (``tools/dist_test.sh``) is compared and loaded in the
    unwrapped names (:func:`wrapper_key_map`), so a file written with or
    without DDP loads with or without it. Whole-model checkpoints
    of other toolboxes (MMagic's CycleGAN) are converted by the adapters
    of :mod:`toolbox.engine.checkpoint_formats`.

Frozen sub-modules
    :class:`FrozenModuleHolder` keeps networks a model uses but does not own
    (Uni-Removal's teachers, a loss's VGG) out of ``state_dict``,
    ``parameters()`` (so out of optimisers and DDP) and ``.train()``, while
    device and dtype moves still reach them; :func:`freeze` is the freezing
    they share.
"""
import os
import os.path as osp
import pickle
import re
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio import io as mmengine_io
from mmengine.logging import HistoryBuffer
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader
from torch import nn

from toolbox.fileio import (atomic_write_bytes, remove_orphaned_temp_files,
                            writing_output)

TRUST_ENV = 'TOOLBOX_TRUST_CHECKPOINTS'
TRUST_OPTION = '--trust-checkpoint'


def add_weight_loading_arguments(parser) -> None:
    """``--non-strict`` and ``--trust-checkpoint``: how a tool that loads
    one checkpoint outside a Runner (``tools/infer.py``,
    ``tools/export.py``) loads it."""
    parser.add_argument(
        '--non-strict', action='store_true',
        help='load the tensors of the checkpoint that fit and keep the '
        'others as initialised (a warning lists what did not fit)')
    parser.add_argument(TRUST_OPTION, action='store_true',
                        help='load the checkpoint with weights_only=False '
                        '(runs code stored in the file: only for files you '
                        'trust)')
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
# Atomic writing
# ---------------------------------------------------------------------------


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose writes are atomic
    (:func:`toolbox.fileio.atomic_write_bytes`).

    What MMEngine writes through it (checkpoints, ``last_checkpoint``,
    results files) is the user's output: a write that the disk refuses
    (full, quota, read-only) raises
    :class:`~toolbox.fileio.OutputWriteError` naming the file, and the
    file it would have replaced stays as it was.
    """

    def put(self, obj: bytes, filepath: PathLike) -> None:
        """Write ``obj`` to ``filepath`` atomically (temp file + rename),
        after removing the temporary files an earlier run killed mid-save
        left in the folder."""
        with writing_output(filepath):
            remove_orphaned_temp_files(osp.dirname(osp.abspath(filepath)))
            atomic_write_bytes(obj, filepath)

    def put_text(self, obj: str, filepath: PathLike,
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically."""
        with writing_output(filepath):
            atomic_write_bytes(obj.encode(encoding), filepath)


# ---------------------------------------------------------------------------
# Installation into MMEngine
# ---------------------------------------------------------------------------


def install_safe_checkpoint_loader() -> None:
    """Make MMEngine load and write local checkpoints the toolbox's way.

    Registers :func:`load_runner_checkpoint` (:func:`load_checkpoint_file`,
    keys without the wrappers' ``module.``) as
    :class:`~mmengine.runner.CheckpointLoader`'s loader of local paths
    (replacing MMEngine's, which calls ``torch.load`` without an allow-list)
    and :class:`AtomicLocalBackend` as the ``local`` file backend. Call it
    once before a ``Runner`` loads or saves anything; calling it again does
    nothing new. The tools, :func:`toolbox.apis.init_model` and
    :func:`toolbox.engine.runner_setup.load_config` call it.
    """
    # '' is the scheme of local paths; force=True replaces MMEngine's loader.
    CheckpointLoader.register_scheme(prefixes='',
                                     loader=load_runner_checkpoint,
                                     force=True)
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    # Backends are cached per (prefix, args); drop instances made before.
    mmengine_io.backend_instances.clear()


def safe_checkpoint_loader_installed() -> bool:
    """Whether :func:`install_safe_checkpoint_loader` is in force."""
    return CheckpointLoader._schemes.get('') is load_runner_checkpoint


def load_runner_checkpoint(filename: PathLike, map_location=None):
    """:func:`load_checkpoint_file`, with the keys of the file's
    ``state_dict`` as an unwrapped model has them
    (:func:`strip_wrapper_keys`): what MMEngine's Runner reads for
    ``resume`` and ``load_from`` once :func:`install_safe_checkpoint_loader`
    is in force.

    MMEngine loads into the networks *inside* their wrappers (its
    ``load_state_dict`` steps over every model wrapper), under DDP as in
    one process, but saves the keys the wrappers add
    (``generator_a2b.module.*`` for a GAN trained by
    ``tools/dist_train.sh``); without this every such key is "unexpected",
    every network "missing", and training goes on from random weights.
    """
    checkpoint = load_checkpoint_file(filename, map_location=map_location)
    if isinstance(checkpoint, dict) and isinstance(
            checkpoint.get('state_dict'), Mapping):
        checkpoint['state_dict'] = strip_wrapper_keys(checkpoint['state_dict'])
    return checkpoint


# ---------------------------------------------------------------------------
# Keys of wrapped models (DDP)
# ---------------------------------------------------------------------------

#: What a model wrapper (``DataParallel``, ``DistributedDataParallel`` and
#: MMEngine's wrappers of them) puts before its network's keys.
WRAPPER_SEGMENT = 'module.'


def _wrapper_prefixes(keys: Sequence[str]) -> List[str]:
    """The prefixes (``''``, ``'generator_a2b.'``) after which a wrapper's
    ``module.`` stands in every key that has the prefix; longest first."""
    candidates = set()
    for key in keys:
        at = key.find(WRAPPER_SEGMENT)
        while at >= 0:
            if at == 0 or key[at - 1] == '.':
                candidates.add(key[:at])
            at = key.find(WRAPPER_SEGMENT, at + 1)
    # A wrapper holds nothing but its network: every key under the prefix
    # goes on with module. (a network's own sub-module called "module" has
    # siblings, and stays).
    found = [p for p in candidates
             if all(k.startswith(p + WRAPPER_SEGMENT)
                    for k in keys if k.startswith(p))]
    return sorted(found, key=len, reverse=True)


def _without_wrappers(key: str, prefixes: Sequence[str]) -> str:
    # Longest prefix first: module.g.module.x -> module.g.x -> g.x.
    for prefix in prefixes:
        if key.startswith(prefix + WRAPPER_SEGMENT):
            key = prefix + key[len(prefix) + len(WRAPPER_SEGMENT):]
    return key


def strip_wrapper_keys(state_dict: Mapping) -> 'OrderedDict':
    """``state_dict`` with the keys the unwrapped model has.

    A model trained under DDP is saved with its wrappers' ``module.``:
    before every key when the whole model is wrapped
    (``module.generator.*``: a Restorer saved from its
    ``MMDistributedDataParallel``) and after a network's name when each
    network is wrapped on its own (``generator_a2b.module.*``:
    ``MMSeparateDistributedDataParallel``, the wrapper of the toolbox's
    GANs, whose keys MMEngine's checkpoint hook saves as they are). A
    ``module.`` is a wrapper's when every key under the same prefix goes
    on with it (a wrapper holds nothing but its network); nested wrappers
    all go. The state dict's ``_metadata`` (per-module versions) follows
    its keys. A state dict without wrappers comes back unchanged (a copy).
    """
    prefixes = _wrapper_prefixes(list(state_dict))
    out = OrderedDict((_without_wrappers(k, prefixes), v)
                      for k, v in state_dict.items())
    metadata = getattr(state_dict, '_metadata', None)
    if metadata is not None:
        # Module names without the trailing dot; a wrapper and its network
        # become one name, the network's entry (listed after) wins.
        out._metadata = OrderedDict(
            (_without_wrappers(name + '.', prefixes)[:-1], value)
            for name, value in metadata.items())
    return out


def unwrap_model(module: nn.Module) -> nn.Module:
    """The network inside ``module``'s model wrappers (``module`` itself
    when it is not wrapped)."""
    while is_model_wrapper(module):
        module = module.module
    return module


def wrapper_key_map(module: nn.Module) -> 'OrderedDict[str, str]':
    """Each key of ``module.state_dict()`` as the unwrapped model names it,
    mapped to the key itself.

    The identity unless ``module`` holds model wrappers: under
    ``tools/dist_test.sh`` each network of a GAN sits in its own DDP
    wrapper, which adds ``module.`` to its keys. Files are compared with
    and loaded into a model in the unwrapped names, so a file saved in one
    process and one saved under DDP (:func:`strip_wrapper_keys`) both fit.
    """
    prefixes = sorted(((name + '.') if name else ''
                       for name, sub in module.named_modules()
                       if is_model_wrapper(sub)), key=len, reverse=True)
    return OrderedDict((_without_wrappers(k, prefixes), k)
                       for k in module.state_dict())


def unwrapped_state_dict(module: nn.Module) -> 'OrderedDict':
    """``module.state_dict()`` in the unwrapped names
    (:func:`wrapper_key_map`)."""
    own = module.state_dict()
    return OrderedDict((name, own[key])
                       for name, key in wrapper_key_map(module).items())


def load_unwrapped_state_dict(module: nn.Module, state_dict: Mapping,
                              strict: bool = True):
    """``module.load_state_dict`` of a state dict in the unwrapped names
    (:func:`wrapper_key_map`); keys ``module`` does not have are passed on
    as they are."""
    keys = wrapper_key_map(module)
    return module.load_state_dict(
        OrderedDict((keys.get(k, k), v) for k, v in state_dict.items()),
        strict=strict)


# ---------------------------------------------------------------------------
# Official and toolbox state dicts
# ---------------------------------------------------------------------------

#: Prefixes removed from every key by default: ``DataParallel`` and
#: ``DistributedDataParallel`` save their network under ``module.``.
WRAPPER_PREFIXES = ('module.', )
#: The sub-network :func:`extract_state_dict` picks with ``prefix='auto'``:
#: a toolbox ``Restorer`` (and every model built on it) saves its network
#: under ``generator.``.
GENERATOR_PREFIX = 'generator.'


def strip_prefix(state_dict: Mapping, prefix: str,
                 keep_others: bool = True) -> 'OrderedDict':
    """Remove ``prefix`` from the keys that start with it.

    ``keep_others=False`` also drops the keys that do not start with it
    (take one sub-network out of a model's state dict).
    """
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(prefix):
            out[key[len(prefix):]] = value
        elif keep_others:
            out[key] = value
    return out


#: Where a BasicSR network file (``net_g_*.pth``) keeps its weights, in the
#: order taken: ``params`` (BasicSR's default ``param_key_g``), then
#: ``params_ema`` (a file holding only the EMA weights).
BASICSR_PARAM_KEYS = ('params', 'params_ema')


def _state_dict_of(checkpoint) -> Mapping:
    """The state dict inside a checkpoint, or the checkpoint itself."""
    if isinstance(checkpoint, Mapping) and isinstance(
            checkpoint.get('state_dict'), Mapping):
        return checkpoint['state_dict']
    for key in BASICSR_PARAM_KEYS:
        if isinstance(checkpoint, Mapping) and isinstance(
                checkpoint.get(key), Mapping):
            return checkpoint[key]
    if isinstance(checkpoint, Mapping) and all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        return checkpoint
    raise TypeError(
        "the file holds no state dict (neither {'state_dict': {...}}, "
        "BasicSR's {'params': {...}} nor a mapping of names to tensors)")


def extract_state_dict(checkpoint,
                       prefix: Optional[str] = 'auto',
                       strip_prefixes: Sequence[str] = WRAPPER_PREFIXES,
                       revise_keys: Sequence[Tuple[str, str]] = (),
                       ignore_keys: Sequence[str] = ()) -> 'OrderedDict':
    """A network's weights, with clean keys, out of a loaded checkpoint.

    Accepts a toolbox/MMEngine checkpoint (``{'state_dict': ..., 'meta':
    ...}``), an official release (``{'state_dict': sd}``, e.g. MPRNet's), a
    BasicSR network file (``{'params': sd, 'params_ema': sd}``: ``params``,
    BasicSR's default ``param_key_g``; ``params_ema`` when it is the only
    one) or a bare state dict (e.g. CycleGAN's ``latest_net_G_A.pth``). In
    order:

    1. The model wrappers' ``module.`` is removed, before a whole model's
       keys and after a network's name (:func:`strip_wrapper_keys`: files
       written under DDP); then ``strip_prefixes`` from the start of every
       key that has them (``module.`` by default).
    2. ``prefix`` picks a sub-network: only keys under it are kept, without
       it (``'generator.'``, ``'generators.a.'``; must be found). ``'auto'``
       takes ``'generator.'`` when some key starts with it and every key
       otherwise; ``None`` or ``''`` keeps every key.
    3. ``revise_keys``: ``(pattern, replacement)`` regular-expression
       substitutions applied to every key (as MMEngine's ``revise_keys``).
    4. ``ignore_keys``: keys matching any of these patterns
       (``re.search``) are dropped (e.g. buffers an old release saved that
       the network no longer has).

    Raises:
        TypeError: no state dict in ``checkpoint``.
        KeyError: no key starts with ``prefix``.
    """
    state = strip_wrapper_keys(_state_dict_of(checkpoint))
    for wrapper in strip_prefixes:
        state = strip_prefix(state, wrapper)
    if prefix == 'auto':
        prefix = GENERATOR_PREFIX if any(
            k.startswith(GENERATOR_PREFIX) for k in state) else None
    if prefix:
        picked = strip_prefix(state, prefix, keep_others=False)
        if not picked:
            sample = ', '.join(list(state)[:3])
            raise KeyError(f'no keys start with {prefix!r} (the file has '
                           f'{len(state)} keys, e.g. {sample})')
        state = picked
    state = OrderedDict(state)
    for pattern, replacement in revise_keys:
        state = OrderedDict((re.sub(pattern, replacement, k), v)
                            for k, v in state.items())
    if ignore_keys:
        state = OrderedDict(
            (k, v) for k, v in state.items()
            if not any(re.search(p, k) for p in ignore_keys))
    return state


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


# ---------------------------------------------------------------------------
# Loading a network's weights
# ---------------------------------------------------------------------------


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's weights do not fit the network they are loaded into."""


def _shape(value) -> str:
    return '×'.join(str(s) for s in getattr(value, 'shape', ())) or 'scalar'


def _examples(keys: Sequence[str], count: int = 3) -> str:
    more = f', … ({len(keys)} in all)' if len(keys) > count else ''
    return ', '.join(keys[:count]) + more


def describe_mismatch(network_state: Mapping,
                      file_state: Mapping,
                      allow_extra_keys: bool = False) -> Optional[str]:
    """A short account of how ``file_state`` misses ``network_state``.

    ``None`` when every key of the network is in the file with its shape
    (and, unless ``allow_extra_keys``, the file has no other key).
    """
    missing = [k for k in network_state if k not in file_state]
    extra = [] if allow_extra_keys else \
        [k for k in file_state if k not in network_state]
    shapes = [k for k in network_state
              if k in file_state and tuple(file_state[k].shape) !=
              tuple(network_state[k].shape)]
    if not (missing or extra or shapes):
        return None
    parts = []
    if shapes:
        examples = '; '.join(
            f'{k}: file {_shape(file_state[k])}, network '
            f'{_shape(network_state[k])}' for k in shapes[:3])
        more = f'; … ({len(shapes)} in all)' if len(shapes) > 3 else ''
        parts.append(
            f'size mismatch in {len(shapes)} of {len(network_state)} tensors '
            f'(e.g. {examples}{more})')
    if missing:
        parts.append(f'{len(missing)} keys missing from the file '
                     f'({_examples(missing)})')
    if extra:
        parts.append(f'{len(extra)} unexpected keys in the file '
                     f'({_examples(extra)})')
    return '; '.join(parts)


def load_weights(network: nn.Module,
                 checkpoint: PathLike,
                 prefix: Optional[str] = 'auto',
                 *,
                 strip_prefixes: Sequence[str] = WRAPPER_PREFIXES,
                 revise_keys: Sequence[Tuple[str, str]] = (),
                 ignore_keys: Sequence[str] = (),
                 allow_extra_keys: bool = False,
                 map_location='cpu',
                 what: Optional[str] = None,
                 strict: bool = True) -> str:
    """Strictly load ``network``'s weights from a toolbox or official file.

    Args:
        network: the module whose ``state_dict`` keys the file's keys must
            match after cleaning (a backbone, a generator, a whole model).
        checkpoint: a checkpoint file, a work dir (its newest checkpoint)
            or a ``last_checkpoint`` file (see :func:`find_checkpoint`).
        prefix, strip_prefixes, revise_keys, ignore_keys: key cleaning, see
            :func:`extract_state_dict` (default: ``module.`` stripped, the
            ``generator.`` part of a toolbox checkpoint taken when present).
        allow_extra_keys: ignore file keys the network does not have (a
            file of a deeper network than the one built, e.g. all of VGG-19
            for an extractor cut after ``relu3_1``). Missing keys and shape
            mismatches are always errors.
        map_location: as :func:`torch.load`.
        what: what is being loaded, put first in messages
            (``"Teacher 'rain'"``).
        strict: ``False`` loads the tensors whose names and shapes fit, on
            purpose, and logs the mismatch summary as a warning instead of
            raising (a teacher's ``strict=False``).

    Returns:
        The checkpoint file actually read.

    Raises:
        FileNotFoundError: the file (or the work dir's checkpoint) is
            missing; the message names it.
        UntrustedCheckpointError: see :func:`load_checkpoint_file`.
        CheckpointMismatchError: the file's weights do not fit ``network``;
            the message names the file and summarises the mismatch (counts
            and a few examples, not one line per tensor).

    The file is read through :func:`load_checkpoint_file` (safe loading,
    whether or not :func:`install_safe_checkpoint_loader` was called).
    """
    filename = find_checkpoint(checkpoint)
    loaded = load_checkpoint_file(filename, map_location=map_location)
    try:
        state = extract_state_dict(loaded, prefix, strip_prefixes,
                                   revise_keys, ignore_keys)
    except (KeyError, TypeError) as error:
        raise CheckpointMismatchError(
            (f'{what}: ' if what else '') +
            f'{filename} does not fit {type(network).__name__}: '
            f'{error.args[0]}') from error
    if not strict:
        loaded, total, problem = load_fitting_tensors(network, state,
                                                      allow_extra_keys)
        if problem:
            from mmengine.logging import print_log
            print_log((f'{what}: ' if what else '') +
                      f'non-strict loading of {filename}: loaded '
                      f'{loaded} of {total} tensors; {problem}',
                      logger='current', level=30)
        return filename
    load_state_dict_strictly(network, state, filename, allow_extra_keys,
                             what)
    return filename


def load_state_dict_strictly(network: nn.Module,
                             state_dict: Mapping,
                             source: str = 'the state dict',
                             allow_extra_keys: bool = False,
                             what: Optional[str] = None) -> None:
    """``network.load_state_dict(state_dict, strict=True)`` with a short
    :class:`CheckpointMismatchError` (naming ``source``) when it does not
    fit; see :func:`load_weights` for ``allow_extra_keys`` and ``what``.

    A state dict in another toolbox's layout registered for ``network``'s
    class (:mod:`toolbox.engine.checkpoint_formats`) is converted first.
    ``state_dict`` is in the unwrapped names: a wrapped ``network`` (or one
    with wrapped networks inside, under DDP) is compared and loaded in those
    (:func:`wrapper_key_map`)."""
    from toolbox.engine.checkpoint_formats import adapt_state_dict
    network = unwrap_model(network)
    try:
        state_dict, _ = adapt_state_dict(network, state_dict)
    except ValueError as error:
        raise CheckpointMismatchError(
            (f'{what}: ' if what else '') + f'{source}: {error}') from error
    own = unwrapped_state_dict(network)
    problem = describe_mismatch(own, state_dict, allow_extra_keys)
    if problem:
        raise CheckpointMismatchError(
            (f'{what}: ' if what else '') +
            f'{source} does not fit {type(network).__name__}: {problem}. Is '
            'it a checkpoint of another network or width (another config '
            'or variant)?')
    if allow_extra_keys:
        state_dict = OrderedDict(
            (k, v) for k, v in state_dict.items() if k in own)
    load_refusable(network, state_dict, source, what, strict=True)


def load_refusable(network: nn.Module, state_dict: Mapping,
                   source: str = 'the state dict',
                   what: Optional[str] = None, strict: bool = True):
    """:func:`load_unwrapped_state_dict` where a network's own check of the
    values (a layer of it raising ``RuntimeError`` in
    ``_load_from_state_dict``, e.g. FDR-Net's tied IGDNs given untied
    ones) becomes a :class:`CheckpointMismatchError` naming ``source``."""
    try:
        return load_unwrapped_state_dict(network, state_dict, strict=strict)
    except RuntimeError as error:
        message = ' '.join(str(error).split())
        raise CheckpointMismatchError(
            (f'{what}: ' if what else '') + f'{source}: {message}'
        ) from error


def load_fitting_tensors(network: nn.Module, state_dict: Mapping,
                         allow_extra_keys: bool = False,
                         source: str = 'the state dict'
                         ) -> Tuple[int, int, Optional[str]]:
    """Load the tensors of ``state_dict`` whose names (unwrapped, see
    :func:`wrapper_key_map`) and shapes fit ``network``, on purpose
    (non-strict loading); the others keep their values.

    Returns ``(tensors loaded, tensors of the network, the mismatch summary
    of :func:`describe_mismatch` or None)``.
    """
    network = unwrap_model(network)
    own = unwrapped_state_dict(network)
    problem = describe_mismatch(own, state_dict, allow_extra_keys)
    fitting = OrderedDict(
        (k, v) for k, v in state_dict.items()
        if k in own and tuple(v.shape) == tuple(own[k].shape))
    load_refusable(network, fitting, source, strict=False)
    return len(fitting), len(own), problem


# ---------------------------------------------------------------------------
# Frozen sub-modules
# ---------------------------------------------------------------------------


def freeze(module: nn.Module) -> nn.Module:
    """Put ``module`` in eval mode and stop gradients to its parameters."""
    module.eval()
    for param in module.parameters():
        param.requires_grad_(False)
    return module


class FrozenModuleHolder:
    """Mixin for an ``nn.Module`` that uses networks it does not own.

    Uni-Removal's teachers and a contrastive loss's VGG are fixed networks:
    they must not be trained, saved with the model, or switched to training
    mode, but they must follow the model to its device and dtype. A module
    held with :meth:`hold_frozen` is frozen (:func:`freeze`) and kept
    outside the module tree, so it is absent from ``state_dict()``,
    ``parameters()`` (hence from optimisers, DDP and MMEngine's weight
    initialisation) and untouched by ``.train()``; ``_apply`` (``.to()``,
    ``.cuda()``, ``.half()``, ``channels_last``) still reaches it.

    Put the mixin before ``nn.Module`` (or a subclass) in the bases::

        class Loss(FrozenModuleHolder, nn.Module):
            def __init__(self, vgg):
                super().__init__()
                self.hold_frozen('vgg', vgg)
    """

    def hold_frozen(self, name: str,
                    module: Optional[nn.Module]) -> Optional[nn.Module]:
        """Keep ``module`` (frozen, outside the tree) under ``name``."""
        held = self.__dict__.get('_frozen_modules')
        if held is None:
            held = OrderedDict()
            object.__setattr__(self, '_frozen_modules', held)
        if module is not None:
            freeze(module)
        held[name] = module
        return module

    def frozen_module(self, name: str) -> Optional[nn.Module]:
        """The module held under ``name``, back in eval mode if someone
        called ``.train()`` on it directly."""
        module = self.held_modules[name]
        if module is not None and module.training:
            module.eval()
        return module

    @property
    def held_modules(self) -> Mapping[str, Optional[nn.Module]]:
        """Every held module by name (read-only mapping)."""
        return MappingProxyType(self.__dict__.get('_frozen_modules', {}))

    def _apply(self, fn, *args, **kwargs):
        # model.to(device)/.cuda()/.half() also move the held modules.
        super()._apply(fn, *args, **kwargs)
        for module in self.held_modules.values():
            if module is not None:
                module._apply(fn, *args, **kwargs)
        return self


__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'TRUST_ENV', 'TRUST_OPTION',
    'UntrustedCheckpointError', 'NotACheckpointError',
    'set_checkpoint_trust', 'checkpoint_trusted',
    'load_checkpoint_file', 'AtomicLocalBackend', 'atomic_write_bytes',
    'install_safe_checkpoint_loader', 'safe_checkpoint_loader_installed',
    'load_runner_checkpoint', 'WRAPPER_SEGMENT', 'strip_wrapper_keys',
    'unwrap_model', 'wrapper_key_map', 'unwrapped_state_dict',
    'load_unwrapped_state_dict', 'strip_prefix', 'extract_state_dict',
    'find_checkpoint', 'CheckpointMismatchError', 'describe_mismatch',
    'load_weights', 'load_state_dict_strictly', 'load_refusable',
    'load_fitting_tensors', 'freeze', 'FrozenModuleHolder'
]
