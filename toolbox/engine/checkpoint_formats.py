"""Checkpoints of other toolboxes, converted to the toolbox's keys.

State-dict adapters
    A model class accepts a foreign layout by registering a
    :class:`StateDictAdapter` under its class name
    (:func:`register_state_dict_adapter`). :func:`adapt_state_dict` finds
    the adapter whose ``detect`` recognises a state dict and converts it;
    every toolbox model runs it when it loads a state dict
    (:class:`~toolbox.models.algorithms.base.RestorationModel`: MMEngine's
    ``load_from`` and ``tools/test.py``, ``model.load_state_dict``), and so
    do :func:`toolbox.apis.init_model` and
    :func:`~toolbox.engine.checkpoint.load_state_dict_strictly`. Generic
    loading code therefore knows no format; a format is this module's
    business only.

BasicSR network files
    ``net_g_*.pth`` holds ``{'params': sd, 'params_ema': sd}``; every
    model takes ``params`` (BasicSR's default ``param_key_g``), or
    ``params_ema`` when it is the only one (:data:`BASICSR_NETWORK_FILE`),
    so ``load_from``/``tools/test.py`` read such files as
    :func:`~toolbox.engine.checkpoint.extract_state_dict` does.

MMagic's (and MMGeneration's, and MMEditing 0.x's) CycleGAN
    :func:`convert_mmagic_cyclegan` maps the per-domain networks
    (``generators.<domain>.*``, ``discriminators.<domain>.*``) to
    ``generator_a2b`` ... and MMagic's ``ConvModule``-based
    ``ResnetGenerator``/``PatchDiscriminator`` keys to the official
    ``model.N.*`` keys the toolbox's networks use
    (:func:`mmagic_resnet_generator_to_official`,
    :func:`mmagic_patch_discriminator_to_official`).
"""
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import (Callable, Dict, List, Mapping, MutableMapping, Optional,
                    Tuple)

import torch

from toolbox.engine.checkpoint import BASICSR_PARAM_KEYS

# ---------------------------------------------------------------------------
# Adapters, per model class
# ---------------------------------------------------------------------------

Converted = Tuple['OrderedDict[str, torch.Tensor]', str]


@dataclass(frozen=True)
class StateDictAdapter:
    """A foreign state-dict layout a model class accepts.

    Attributes:
        name: the layout, for messages (``'MMagic CycleGAN'``).
        detect: whether a state dict (keys as the model would see them,
            without the model's own prefix) is in this layout.
        convert: the state dict in the model's own keys, and a sentence
            saying what was converted (logged when it happens).
    """
    name: str
    detect: Callable[[Mapping], bool]
    convert: Callable[[Mapping], Converted]


_ADAPTERS: Dict[str, List[StateDictAdapter]] = {}


def register_state_dict_adapter(model_type: str,
                                adapter: StateDictAdapter) -> None:
    """Let models of class ``model_type`` (a class name; subclasses
    included) load state dicts in ``adapter``'s layout."""
    _ADAPTERS.setdefault(model_type, []).append(adapter)


def adapters_for(model) -> List[StateDictAdapter]:
    """The adapters registered for ``model``'s class and its bases."""
    found = []
    for cls in type(model).__mro__:
        found += _ADAPTERS.get(cls.__name__, [])
    return found


def adapt_state_dict(model, state_dict: Mapping
                     ) -> Tuple[Mapping, Optional[str]]:
    """``(state_dict in model's keys, what was done)``; unchanged with
    ``None`` when no adapter of ``model`` recognises it."""
    for adapter in adapters_for(model):
        if adapter.detect(state_dict):
            return adapter.convert(state_dict)
    return state_dict, None


def adapt_state_dict_in_place(model, state_dict: MutableMapping,
                              prefix: str = '') -> Optional[str]:
    """:func:`adapt_state_dict` on the keys under ``prefix`` (where
    ``model`` sits in the module tree being loaded), replacing them in
    ``state_dict``; for ``_load_from_state_dict`` pre-hooks. Logs and
    returns what was done (``None``: nothing)."""
    own = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                      if k.startswith(prefix))
    if not own or not adapters_for(model):
        return None
    converted, note = adapt_state_dict(model, own)
    if note is None:
        return None
    for key in [k for k in state_dict if k.startswith(prefix)]:
        del state_dict[key]
    for key, value in converted.items():
        state_dict[prefix + key] = value
    from mmengine.logging import print_log
    print_log(note, logger='current')
    return note


# ---------------------------------------------------------------------------
# MMagic's ResnetGenerator and PatchDiscriminator → official keys
# ---------------------------------------------------------------------------

# mmcv's ConvModule names its norm layer after the norm type ('bn', 'in').
_GEN_KEY = re.compile(
    r'^model\.(\d+)\.(?:block\.(\d+)\.)?(conv|bn|in)\.(\w+)$')
_DISC_MODULE_KEY = re.compile(r'^model\.(\d+)\.(conv|bn|in)\.(\w+)$')
_DISC_FINAL_KEY = re.compile(r'^model\.(\d+)\.(weight|bias)$')


def _layout_error(what: str, key: str) -> ValueError:
    return ValueError(f"{key!r} is not a key of MMagic's {what} layout")


def mmagic_resnet_generator_to_official(state: Mapping) -> 'OrderedDict':
    """MMagic's ``ResnetGenerator`` keys as the official CycleGAN ones.

    MMagic stacks ``ConvModule`` s (padding, ``conv``, norm, activation in
    one module) and ``ResidualBlockWithDropout`` s (``block.0``, [dropout],
    ``block.1``/``block.2``): ``model.0.conv`` is the 7×7 input conv,
    ``model.1``/``model.2`` the stride-2 convs, ``model.3`` …
    ``model.{2+n}`` the n residual blocks, then the two transposed convs
    and the 7×7 output conv. The official ``nn.Sequential`` lists every
    padding, norm and activation as its own entry, so the same convs sit at
    ``model.1``, ``model.4``, ``model.7``, ``model.{10+i}.conv_block.{1,5}``
    (``6`` with dropout), ``model.{10+n}``, ``model.{13+n}`` and
    ``model.{17+n}``; a norm sits one entry after its conv.
    """
    parsed = []
    for key, value in state.items():
        match = _GEN_KEY.match(key)
        if match is None:
            raise _layout_error('ResnetGenerator', key)
        top, inner, part, name = match.groups()
        parsed.append((int(top), None if inner is None else int(inner),
                       part, name, value))
    blocks = sorted({top for top, inner, *_ in parsed if inner is not None})
    num_blocks = len(blocks)
    if blocks != list(range(3, 3 + num_blocks)):
        raise ValueError('MMagic ResnetGenerator: residual blocks must be '
                         f'model.3 … model.{2 + num_blocks}, found {blocks}')
    outer = {0: 1, 1: 4, 2: 7, 3 + num_blocks: 10 + num_blocks,
             4 + num_blocks: 13 + num_blocks, 5 + num_blocks: 17 + num_blocks}
    out = OrderedDict()
    for top, inner, part, name, value in parsed:
        step = 0 if part == 'conv' else 1  # a norm follows its conv
        if inner is None:
            if top not in outer:
                raise _layout_error('ResnetGenerator', f'model.{top}.{part}')
            out[f'model.{outer[top] + step}.{name}'] = value
        else:
            if inner not in (0, 1, 2):
                raise _layout_error('ResnetGenerator',
                                    f'model.{top}.block.{inner}')
            conv = 1 if inner == 0 else inner + 4
            out[f'model.{10 + top - 3}.conv_block.{conv + step}.{name}'] = \
                value
    return out


def mmagic_patch_discriminator_to_official(state: Mapping) -> 'OrderedDict':
    """MMagic's ``PatchDiscriminator`` keys as the official PatchGAN ones.

    MMagic: ``model.0.conv`` (no norm), ``model.1`` … ``model.{n}``
    ``ConvModule`` s (conv and norm) and a plain final conv
    ``model.{n+1}``; official: the same convs at ``model.0``,
    ``model.{3i-1}`` (norm at ``3i``) and ``model.{3n+2}``.
    """
    finals = {int(m.group(1)) for m in map(_DISC_FINAL_KEY.match, state)
              if m is not None}
    if len(finals) != 1:
        raise ValueError('MMagic PatchDiscriminator: expected one plain final '
                         f'conv (model.N.weight), found {sorted(finals)}')
    final = finals.pop()
    num_conv = final - 1
    out = OrderedDict()
    for key, value in state.items():
        match = _DISC_MODULE_KEY.match(key)
        if match is not None:
            index, part, name = int(match.group(1)), match.group(2), \
                match.group(3)
            if not 0 <= index <= num_conv or (index == 0 and part != 'conv'):
                raise _layout_error('PatchDiscriminator', key)
            conv = 0 if index == 0 else 3 * index - 1
            out[f'model.{conv + (part != "conv")}.{name}'] = value
            continue
        match = _DISC_FINAL_KEY.match(key)
        if match is None:
            raise _layout_error('PatchDiscriminator', key)
        out[f'model.{3 * num_conv + 2}.{match.group(2)}'] = value
    return out


def _last_conv_index(generator_state: Mapping) -> int:
    return max(int(k.split('.')[1]) for k in generator_state
               if k.startswith('model.') and k.split('.')[1].isdigit())


def swap_red_and_blue(generator: Optional[Mapping] = None,
                      discriminator: Optional[Mapping] = None) -> None:
    """Make networks trained on BGR images work on RGB ones (or back), in
    place, on official-layout state dicts: the generator's first conv reads
    its input channels in reverse order and its last conv writes them in
    reverse order; the discriminator's first conv reads them reversed.
    Networks of other than 3 channels are left alone."""

    def flip(state, key, dim):
        if key in state and state[key].shape[dim] == 3:
            state[key] = state[key].flip(dim)

    if generator is not None:
        last = f'model.{_last_conv_index(generator)}'
        flip(generator, 'model.1.weight', 1)
        flip(generator, f'{last}.weight', 0)
        flip(generator, f'{last}.bias', 0)
    if discriminator is not None:
        flip(discriminator, 'model.0.weight', 1)


# ---------------------------------------------------------------------------
# MMagic / MMGeneration / MMEditing 0.x CycleGAN → toolbox CycleGAN
# ---------------------------------------------------------------------------

#: The toolbox CycleGAN's networks (official names in brackets):
#: ``generator_a2b`` (G_A), ``generator_b2a`` (G_B), ``discriminator_b``
#: (D_A, judges B), ``discriminator_a`` (D_B, judges A).
MMAGIC_LAYOUTS = ('mmagic', 'mmedit0')
_PER_DOMAIN = re.compile(r'^(generators|discriminators)\.([^.]+)\.(.+)$')


def is_mmagic_cyclegan(state: Mapping) -> bool:
    """Whether ``state`` holds per-domain CycleGAN networks
    (``generators.<domain>.model.…``), as MMagic, MMGeneration and
    MMEditing 0.x save them."""
    return any(re.match(r'^generators\.[^.]+\.model\.\d+\.', k)
               for k in state)


def _domains(state: Mapping, group: str) -> List[str]:
    names = []
    for key in state:
        match = _PER_DOMAIN.match(key)
        if match and match.group(1) == group and match.group(2) not in names:
            names.append(match.group(2))
    return names


def convert_mmagic_cyclegan(state: Mapping,
                            layout: str = 'auto',
                            domain_a: Optional[str] = None,
                            channel_order: Optional[str] = None) -> Converted:
    """An MMagic-style CycleGAN state dict in the toolbox CycleGAN's keys.

    Args:
        state: the checkpoint's ``state_dict``: ``generators.<domain>.*``
            and ``discriminators.<domain>.*`` (and MMagic's data
            preprocessor's, dropped).
        layout: which toolbox wrote it, i.e. which way its per-domain
            networks point:

            * ``'mmagic'`` (MMagic 1.x, MMGeneration): ``generators[d]``
              *makes* images of domain ``d`` and ``discriminators[d]``
              judges them; the domains carry their config's names
              (``'horse'``, ``'zebra'``).
            * ``'mmedit0'`` (MMEditing 0.x): ``generators['a']`` translates
              A → B, ``discriminators['a']`` judges B (the official
              ``G_A``/``D_A`` naming), domains ``'a'``/``'b'``.
            * ``'auto'``: ``'mmagic'``, except for domains named exactly
              ``a``/``b``, which either toolbox may have written (opposite
              directions): an error asking for ``layout``.
        domain_a: the MMagic domain that is the toolbox's domain A (the
            input ``img`` of the toolbox's datasets). Default: the first
            domain in the file, which is the first of the config's
            ``reachable_domains``; MMagic's configs list ``[domain_a,
            domain_b]`` there (``horse2zebra``: A = ``'horse'``).
        channel_order: the colour order the networks were trained on:
            ``'bgr'`` (default for ``'mmagic'``: MMagic and MMGeneration
            load images as BGR and do not convert them, and their model-zoo
            files were converted to BGR, ``…_convert-bgr_…pth``) or
            ``'rgb'`` (default for ``'mmedit0'``, whose configs normalise
            with ``to_rgb=True``). BGR networks are converted to the
            toolbox's RGB (:func:`swap_red_and_blue`).

    Returns:
        ``(state dict, description)``.

    Raises:
        ValueError: not two domains, ambiguous ``a``/``b`` domains with
            ``layout='auto'``, an unknown ``domain_a``, or a network key
            outside MMagic's ResnetGenerator/PatchDiscriminator layouts.
    """
    if layout not in MMAGIC_LAYOUTS + ('auto', ):
        raise ValueError(f'layout must be one of {MMAGIC_LAYOUTS} or auto, '
                         f'got {layout!r}')
    domains = _domains(state, 'generators')
    if len(domains) != 2:
        raise ValueError('an MMagic CycleGAN state dict has two generators '
                         f'(generators.<domain>.*), found {domains}')
    if layout == 'auto':
        if set(domains) == {'a', 'b'}:
            raise ValueError(
                "the CycleGAN checkpoint's domains are named 'a' and 'b', as "
                'MMEditing 0.x names them (generators.a translates A to B) '
                'and as an MMagic config may name them (generators.a makes '
                'A images): the directions are opposite. Convert it with '
                'tools/convert_mmagic_cyclegan.py --layout mmedit0 '
                '(MMEditing 0.x) or --layout mmagic.')
        layout = 'mmagic'
    if channel_order is None:
        channel_order = 'bgr' if layout == 'mmagic' else 'rgb'
    if channel_order not in ('bgr', 'rgb'):
        raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                         f'{channel_order!r}')
    if layout == 'mmedit0':
        if set(domains) != {'a', 'b'}:
            raise ValueError("MMEditing 0.x names its CycleGAN domains 'a' "
                             f"and 'b', the file has {domains}")
        a, b = 'a', 'b'
        targets = {('generators', 'a'): 'generator_a2b',
                   ('generators', 'b'): 'generator_b2a',
                   ('discriminators', 'a'): 'discriminator_b',
                   ('discriminators', 'b'): 'discriminator_a'}
    else:
        a = domains[0] if domain_a is None else domain_a
        if a not in domains:
            raise ValueError(f'domain_a={a!r} is not one of the file\'s '
                             f'domains {domains}')
        b = domains[1] if a == domains[0] else domains[0]
        targets = {('generators', b): 'generator_a2b',
                   ('generators', a): 'generator_b2a',
                   ('discriminators', a): 'discriminator_a',
                   ('discriminators', b): 'discriminator_b'}
    networks: Dict[str, 'OrderedDict'] = {}
    others = OrderedDict()
    for key, value in state.items():
        match = _PER_DOMAIN.match(key)
        if match is None or (match.group(1), match.group(2)) not in targets:
            if not key.startswith('data_preprocessor.'):
                others[key] = value  # left for strict loading to report
            continue
        name = targets[match.group(1), match.group(2)]
        networks.setdefault(name, OrderedDict())[match.group(3)] = value
    out = OrderedDict()
    for name in ('generator_a2b', 'generator_b2a', 'discriminator_a',
                 'discriminator_b'):
        if name not in networks:
            continue
        if name.startswith('generator'):
            network = mmagic_resnet_generator_to_official(networks[name])
            if channel_order == 'bgr':
                swap_red_and_blue(generator=network)
        else:
            network = mmagic_patch_discriminator_to_official(networks[name])
            if channel_order == 'bgr':
                swap_red_and_blue(discriminator=network)
        out.update((f'{name}.{k}', v) for k, v in network.items())
    out.update(others)
    source = 'MMagic/MMGeneration' if layout == 'mmagic' else 'MMEditing 0.x'
    inverse = {v: f'{g}.{d}' for (g, d), v in targets.items()}
    note = (f'Loading a {source} CycleGAN checkpoint: domain A is {a!r}, B '
            f'is {b!r}; {inverse["generator_a2b"]} -> generator_a2b (A to '
            f'B), {inverse["generator_b2a"]} -> generator_b2a, '
            f'{inverse["discriminator_a"]} -> discriminator_a, '
            f'{inverse["discriminator_b"]} -> discriminator_b')
    if channel_order == 'bgr':
        note += '; BGR networks converted to RGB (first/last convs)'
    return out, note + '.'


def convert_mmagic_cyclegan_file(src: str, dst: str, **options) -> str:
    """Write ``src`` (an MMagic/MMGeneration/MMEditing 0.x CycleGAN
    checkpoint) as a toolbox CycleGAN checkpoint ``dst``
    (``{'meta': ..., 'state_dict': ...}``, written atomically); ``options``
    as :func:`convert_mmagic_cyclegan`. Returns what was done.

    For the cases automatic loading cannot settle: another domain A, RGB
    networks, MMEditing 0.x files (``tools/convert_mmagic_cyclegan.py``).
    """
    import io

    from toolbox.engine.checkpoint import (extract_state_dict,
                                           load_checkpoint_file)
    from toolbox.fileio import atomic_write_bytes
    state = extract_state_dict(load_checkpoint_file(src, 'cpu'), prefix=None)
    if not is_mmagic_cyclegan(state):
        raise ValueError(f'{src} holds no per-domain CycleGAN networks '
                         '(generators.<domain>.model.*)')
    converted, note = convert_mmagic_cyclegan(state, **options)
    buffer = io.BytesIO()
    torch.save(dict(meta=dict(converted_from=str(src), conversion=note),
                    state_dict=converted), buffer)
    atomic_write_bytes(buffer.getvalue(), dst)
    return note


def _is_basicsr_network_file(state: Mapping) -> bool:
    return any(isinstance(state.get(k), Mapping) for k in BASICSR_PARAM_KEYS)


def _unwrap_basicsr_network_file(state: Mapping) -> Converted:
    for key in BASICSR_PARAM_KEYS:
        if isinstance(state.get(key), Mapping):
            return OrderedDict(state[key]), (
                f"Loading the '{key}' weights of a BasicSR network file")
    raise AssertionError('not a BasicSR network file')


BASICSR_NETWORK_FILE = StateDictAdapter(
    name='BasicSR network file', detect=_is_basicsr_network_file,
    convert=_unwrap_basicsr_network_file)
register_state_dict_adapter('RestorationModel', BASICSR_NETWORK_FILE)

MMAGIC_CYCLEGAN = StateDictAdapter(
    name='MMagic CycleGAN', detect=is_mmagic_cyclegan,
    convert=convert_mmagic_cyclegan)
register_state_dict_adapter('CycleGAN', MMAGIC_CYCLEGAN)

__all__ = [
    'StateDictAdapter', 'register_state_dict_adapter', 'adapters_for',
    'adapt_state_dict', 'adapt_state_dict_in_place',
    'mmagic_resnet_generator_to_official',
    'mmagic_patch_discriminator_to_official', 'swap_red_and_blue',
    'is_mmagic_cyclegan', 'convert_mmagic_cyclegan',
    'convert_mmagic_cyclegan_file', 'MMAGIC_CYCLEGAN',
    'BASICSR_NETWORK_FILE',
    'MMAGIC_LAYOUTS'
]
