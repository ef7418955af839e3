"""Keys of state dicts: the wrappers' ``module.``, sub-networks, releases.

:func:`extract_state_dict` takes a network's weights out of a toolbox
checkpoint (``{'state_dict': {'generator.*': ...}}``), an official release
(``{'state_dict': sd}``, keys often ``module.``-prefixed by
``DataParallel``), a BasicSR network file (``{'params': sd}``) or a bare
state dict. :func:`strip_wrapper_keys` removes the ``module.`` that DDP
puts before a whole model's or each network's keys; a model with wrapped
networks inside (``tools/dist_test.sh``) is compared and loaded in the
unwrapped names (:func:`wrapper_key_map`), so a file written with or
without DDP loads with or without it. :func:`drop_untracked_norm_stats`
drops the instance-norm statistics old official CycleGAN files carry.
"""
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.model import is_model_wrapper
from torch import nn


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


_NORM_STATS = ('running_mean', 'running_var', 'num_batches_tracked')


def drop_untracked_norm_stats(state_dict: Dict[str, torch.Tensor],
                              module: nn.Module) -> Dict[str, torch.Tensor]:
    """Drop running statistics that ``module`` does not keep.

    Networks saved by the official CycleGAN code before PyTorch 0.4 hold
    ``running_mean``/``running_var`` (and later ones may hold
    ``num_batches_tracked``) for instance-norm layers that keep no
    statistics; the official loader deletes them (its
    ``__patch_instance_norm_state_dict``). This does the same, so that the
    rest of the file can be loaded with ``strict=True``. A ``module.``
    prefix (a network saved from ``DataParallel``) is removed too.
    Returns a new dict; nothing else is changed.
    """
    if state_dict and all(k.startswith('module.') for k in state_dict):
        state_dict = {k[len('module.'):]: v for k, v in state_dict.items()}
    expected = set(module.state_dict())
    return {
        k: v
        for k, v in state_dict.items()
        if k in expected or k.rsplit('.', 1)[-1] not in _NORM_STATS
    }


__all__ = [
    'WRAPPER_SEGMENT', 'strip_wrapper_keys', 'unwrap_model',
    'wrapper_key_map', 'unwrapped_state_dict', 'load_unwrapped_state_dict',
    'WRAPPER_PREFIXES', 'GENERATOR_PREFIX', 'BASICSR_PARAM_KEYS',
    'strip_prefix', 'extract_state_dict', 'drop_untracked_norm_stats'
]
