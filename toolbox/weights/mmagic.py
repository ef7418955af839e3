"""MMagic's (and MMGeneration's, and MMEditing 0.x's) CycleGAN checkpoints
in the toolbox CycleGAN's keys.

:func:`convert_mmagic_cyclegan` maps the per-domain networks
(``generators.<domain>.*``, ``discriminators.<domain>.*``) to
``generator_a2b`` ... and MMagic's ``ConvModule``-based
``ResnetGenerator``/``PatchDiscriminator`` keys to the official ``model.N.*``
keys the toolbox's networks use
(:func:`mmagic_resnet_generator_to_official`,
:func:`mmagic_patch_discriminator_to_official`). The CycleGAN model file
registers it as an adapter (:mod:`toolbox.weights.adapters`), so that such
files load wherever a CycleGAN loads weights; cases automatic loading
cannot settle go through :func:`convert_mmagic_cyclegan_file`
(``tools/convert_mmagic_cyclegan.py``).
"""
import io
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional

import torch

from toolbox.fileio import atomic_write_bytes
from toolbox.weights.adapters import Converted
from toolbox.weights.files import load_checkpoint_file
from toolbox.weights.keys import extract_state_dict


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


__all__ = [
    'mmagic_resnet_generator_to_official',
    'mmagic_patch_discriminator_to_official', 'swap_red_and_blue',
    'is_mmagic_cyclegan', 'convert_mmagic_cyclegan',
    'convert_mmagic_cyclegan_file', 'MMAGIC_LAYOUTS'
]
