"""A whole official CycleGAN, CUT or DCD-GAN checkpoint folder as one toolbox
checkpoint (``tools/convert_official_gan.py``).

The official code (junyanz/pytorch-CycleGAN-and-pix2pix,
taesungp/contrastive-unpaired-translation, cschenxiang/DCD-GAN) saves each
network on its own, ``<which>_net_<name>.pth`` (``which`` is ``latest`` or
an epoch number), a raw ``state_dict`` of the unwrapped network:

=========  ===============================  ==============================
code       files (``model_names``)          toolbox networks
=========  ===============================  ==============================
CycleGAN   ``G_A G_B D_A D_B``              ``generator_a2b``,
                                            ``generator_b2a``,
                                            ``discriminator_b`` (D_A judges
                                            B), ``discriminator_a``
DCD-GAN    ``G_A F1 D_A G_B F2 D_B``        the same, and ``head_a2b``
                                            (F1), ``head_b2a`` (F2)
CUT        ``G F D`` (one direction)        ``generator_a2b``,
                                            ``head_a2b``, ``discriminator_b``
=========  ===============================  ==============================

Generators and discriminators have the toolbox's keys already
(``model.N.*``; files saved before PyTorch 0.4 carry instance-norm
statistics, dropped as the official loader drops them). The feature MLPs
``F``/``F1``/``F2`` (``PatchSampleF``) hold ``mlp_<l>.{0,2}.{weight,bias}``
per NCE layer, which are ``PatchSampleMLP``'s ``mlps.<l>.{0,2}.*``. The
official ``PatchSampleF`` creates its MLPs on its first forward pass
(``create_mlp``, run by ``data_dependent_initialize``): a file saved before
one holds nothing, which is reported, not taken for a network.

The toolbox checkpoint is what the Runner would have saved at the given
epoch and iteration, with fresh optimiser moments (the official code saves
no optimiser state; its ``--continue_train`` restarts Adam too): the
weights, each optimiser's hyper-parameters, the learning-rate schedulers
stepped to that point and an empty message hub, so ``load_from`` and
``--resume`` both take it.
"""
import glob
import io
import os.path as osp
import re
import warnings
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple

import torch

from toolbox.fileio import atomic_write_bytes
from toolbox.registry import PARAM_SCHEDULERS
from toolbox.user_errors import UserError
from toolbox.weights import (drop_untracked_norm_stats, load_checkpoint_file,
                             load_state_dict_strictly)

#: Official network name -> toolbox sub-module, per code base.
OFFICIAL_NETWORKS = {
    'cyclegan': OrderedDict([('G_A', 'generator_a2b'),
                             ('G_B', 'generator_b2a'),
                             ('D_A', 'discriminator_b'),
                             ('D_B', 'discriminator_a')]),
    'dcdgan': OrderedDict([('G_A', 'generator_a2b'), ('F1', 'head_a2b'),
                           ('D_A', 'discriminator_b'),
                           ('G_B', 'generator_b2a'), ('F2', 'head_b2a'),
                           ('D_B', 'discriminator_a')]),
    'cut': OrderedDict([('G', 'generator_a2b'), ('F', 'head_a2b'),
                        ('D', 'discriminator_b')]),
}
METHODS = tuple(OFFICIAL_NETWORKS)
_TOOLBOX_NETWORKS = ('generator_a2b', 'generator_b2a', 'discriminator_a',
                     'discriminator_b', 'head_a2b', 'head_b2a')
_FILE = re.compile(r'^(?P<which>.+?)_net_(?P<name>[A-Za-z0-9_]+)\.pth$')
_MLP_KEY = re.compile(r'^mlp_(\d+)\.(\d+)\.(weight|bias)$')


class ConversionError(UserError, ValueError):
    """The folder cannot be converted for this config (the message names
    the file and what to do)."""


def official_files(folder: str, which: str = 'latest') -> Dict[str, str]:
    """``{official network name: path}`` of ``<which>_net_*.pth`` in
    ``folder``."""
    if not osp.isdir(folder):
        raise ConversionError(f'{folder}: no such folder (the official '
                              'checkpoints folder, checkpoints/<name>/)')
    found = {}
    for path in sorted(glob.glob(osp.join(glob.escape(folder), '*.pth'))):
        match = _FILE.match(osp.basename(path))
        if match and match['which'] == str(which):
            found[match['name']] = path
    if not found:
        present = sorted({m['which'] for m in map(
            _FILE.match, map(osp.basename, glob.glob(osp.join(
                glob.escape(folder), '*.pth')))) if m})
        hint = (f'; it has {", ".join(present)} (--which)' if present
                else '')
        raise ConversionError(
            f'{folder} holds no {which}_net_<name>.pth file{hint}')
    return found


def detect_method(names) -> str:
    """The code base whose ``model_names`` the files are: DCD-GAN (F1, F2),
    CycleGAN (G_A without F1), CUT (G)."""
    names = set(names)
    if {'F1', 'F2'} & names:
        return 'dcdgan'
    if {'G_A', 'G_B', 'D_A', 'D_B'} & names:
        return 'cyclegan'
    if {'G', 'F', 'D'} & names:
        return 'cut'
    raise ConversionError(
        f'networks {sorted(names)}: not those of CycleGAN (G_A, G_B, D_A, '
        'D_B), DCD-GAN (and F1, F2) or CUT (G, F, D)')


def patch_sample_f_to_toolbox(state: Mapping) -> 'OrderedDict':
    """An official ``PatchSampleF`` state dict (``mlp_<l>.<i>.*``, a
    ``module.`` prefix allowed) in ``PatchSampleMLP``'s keys
    (``mlps.<l>.<i>.*``)."""
    if state and all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    out = OrderedDict()
    for key, value in state.items():
        match = _MLP_KEY.match(key)
        if match is None:
            raise ConversionError(
                f"{key!r} is not a key of the official PatchSampleF "
                "(mlp_<layer>.<0|2>.<weight|bias>)")
        out[f'mlps.{match[1]}.{match[2]}.{match[3]}'] = value
    return out


def _mlp_count(state: Mapping) -> int:
    return len({m[1] for m in map(_MLP_KEY.match, state) if m})


def _network_state(name: str, path: str, state: Mapping, network,
                   nce_layers) -> Mapping:
    """The file's state dict in ``network``'s keys (checked by the strict
    load that follows)."""
    if not name.startswith('F'):
        return drop_untracked_norm_stats(dict(state), network)
    if not state:
        raise ConversionError(
            f'{path} holds no MLPs: the official PatchSampleF creates them '
            'on its first forward pass, and this file was saved before '
            'one. Pass --init-missing to start that head from the '
            "config's initialisation, or use a file saved after training "
            'began')
    expected = len(getattr(network, 'mlps', ()))
    found = _mlp_count({k.replace('module.', '', 1): v
                        for k, v in state.items()})
    if found != expected:
        raise ConversionError(
            f'{path} holds {found} MLPs (one per NCE layer), the config\'s '
            f'head has {expected} (model.nce_layers={tuple(nce_layers)}); '
            'give the layers the official run used, e.g. --cfg-options '
            "model.nce_layers='[0,4,8,12,16]' for CUT's default")
    return patch_sample_f_to_toolbox(state)


def convert_official_networks(folder: str, model, which: str = 'latest',
                              method: str = 'auto',
                              init_missing: bool = False
                              ) -> Tuple[str, List[str]]:
    """Load the official networks of ``folder`` into ``model`` (a toolbox
    ``CycleGAN`` or ``DCDGAN`` built from the config) strictly, network by
    network.

    Args:
        folder: the official ``checkpoints/<name>/`` folder.
        model: the toolbox model; its networks that no file provides keep
            their weights only with ``init_missing`` (initialise it first).
        which: the files' prefix, ``'latest'`` or an epoch (``'200'``).
        method: ``'cyclegan'``, ``'dcdgan'``, ``'cut'`` or ``'auto'`` (from
            the file names, :func:`detect_method`).
        init_missing: allow networks of ``model`` without a file (CUT's
            backward direction, a head saved before its MLPs existed).

    Returns:
        ``(method, lines saying what went where)``.

    Raises:
        ConversionError: a file the model has no place for, a network
            without a file (without ``init_missing``), a PatchSampleF
            without MLPs or with another number of layers.
        CheckpointMismatchError: a network of another architecture or
            width (the message names the file and the keys).
    """
    files = official_files(folder, which)
    if method == 'auto':
        method = detect_method(files)
    if method not in OFFICIAL_NETWORKS:
        raise ConversionError(f'method must be one of {METHODS} or auto, '
                              f'got {method!r}')
    mapping = OFFICIAL_NETWORKS[method]
    unknown = sorted(set(files) - set(mapping))
    if unknown:
        raise ConversionError(
            f'{folder}: {", ".join(files[n] for n in unknown)} is not a '
            f'network of the official {method} ({", ".join(mapping)}); '
            'is --method right?')
    lines = []
    nce_layers = getattr(model, 'nce_layers', ())
    for name, target in mapping.items():
        network = getattr(model, target, None)
        if name not in files:
            if network is not None and not init_missing:
                raise ConversionError(
                    f'{folder} has no {which}_net_{name}.pth (the toolbox\'s '
                    f'{target}); pass --init-missing to start {target} from '
                    "the config's initialisation")
            if network is not None:
                lines.append(f'{target}: no {which}_net_{name}.pth, '
                             "the config's initialisation")
            continue
        path = files[name]
        if network is None:
            lines.append(f'{osp.basename(path)}: {type(model).__name__} has '
                         f'no {target}; not used')
            continue
        state = load_checkpoint_file(path, 'cpu')
        if not isinstance(state, Mapping):
            raise ConversionError(f'{path} is not a network state dict')
        try:
            state = _network_state(name, path, state, network, nce_layers)
        except ConversionError as error:
            if init_missing and not state:
                lines.append(f'{target}: {path} holds no MLPs (saved before '
                             "its first forward pass), the config's "
                             'initialisation')
                continue
            raise error
        load_state_dict_strictly(network, state, source=path, what=target)
        lines.append(f'{osp.basename(path)} -> {target}')
    # Networks of the model that this code base has no file for at all
    # (CUT's backward direction in a DCD-GAN).
    covered = set(mapping.values())
    others = [name for name in _TOOLBOX_NETWORKS
              if name not in covered and getattr(model, name, None)
              is not None]
    if others and not init_missing:
        raise ConversionError(
            f"the official {method} has no network for the toolbox's "
            f'{", ".join(others)}; pass --init-missing to start them from '
            "the config's initialisation")
    lines += [f"{name}: not in the official {method}, the config's "
              'initialisation' for name in others]
    return method, lines


def _scheduler_lists(cfg_schedulers, names) -> Dict[Optional[str], list]:
    if not cfg_schedulers:
        return {}
    if isinstance(cfg_schedulers, dict) and 'type' not in cfg_schedulers:
        return {name: list(cfg_schedulers.get(name) or []) for name in names}
    if isinstance(cfg_schedulers, dict):
        cfg_schedulers = [cfg_schedulers]
    return {name: list(cfg_schedulers) for name in names}


def training_state_at(cfg, model, epoch: int = 0, iteration: int = 0
                      ) -> Tuple[dict, Optional[dict]]:
    """``(optimizer, param_schedulers)`` entries of a checkpoint saved
    after ``epoch`` epochs and ``iteration`` iterations of ``cfg``: the
    config's optimisers (no moments yet) with the rates its schedulers have
    reached by then.

    Epoch-wise schedulers are stepped ``epoch`` times, iteration-wise ones
    (``by_epoch=False``) ``iteration`` times. ``convert_to_iter_based``
    schedulers need the epoch length, which only the data knows: they are
    refused past epoch 0 (a :class:`ConversionError`).
    """
    import copy

    from mmengine.optim import OptimWrapperDict, build_optim_wrapper
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('toolbox'):
        wrapper = build_optim_wrapper(model, copy.deepcopy(
            cfg.optim_wrapper))
    named = dict(wrapper.items()) if isinstance(
        wrapper, OptimWrapperDict) else {None: wrapper}
    train_cfg = cfg.get('train_cfg') or {}
    states = {}
    for name, entries in _scheduler_lists(cfg.get('param_scheduler'),
                                          list(named)).items():
        built = []  # (scheduler, by_epoch), in the config's order
        for entry in entries:
            entry = copy.deepcopy(dict(entry))
            by_epoch = entry.get('by_epoch', True)
            if entry.pop('convert_to_iter_based', False):
                if epoch or iteration:
                    raise ConversionError(
                        f'param_scheduler {entry["type"]} is '
                        'convert_to_iter_based: its state past epoch 0 '
                        'depends on the epoch length; convert at --epoch 0 '
                        '--iter 0 and train the schedule from its start')
                by_epoch = False
                entry['by_epoch'] = False
            default_end = train_cfg.get(
                'max_epochs' if by_epoch else 'max_iters')
            if default_end is not None:
                entry.setdefault('end', default_end)
            with DefaultScope.overwrite_default_scope('toolbox'):
                built.append((PARAM_SCHEDULERS.build(
                    entry, default_args=dict(optimizer=named[name])),
                    by_epoch))
        # As ParamSchedulerHook steps them: every iteration-wise one after
        # each iteration, every epoch-wise one after each epoch, in the
        # config's order (chained schedulers act on the current rate).
        with warnings.catch_warnings():
            # PyTorch's "scheduler.step() before optimizer.step()": no
            # optimiser steps here, only the rates move.
            warnings.simplefilter('ignore', UserWarning)
            for kind, steps in ((False, iteration), (True, epoch)):
                for _ in range(steps):
                    for scheduler, by_epoch in built:
                        if by_epoch == kind:
                            scheduler.step()
        states[name] = [scheduler.state_dict() for scheduler, _ in built]
    if None in states:
        schedulers = states[None]
    else:
        schedulers = states or None
    return wrapper.state_dict(), schedulers


def write_toolbox_checkpoint(model, cfg, out: str, epoch: int = 0,
                             iteration: int = 0,
                             meta: Optional[dict] = None) -> None:
    """Save ``model`` as the Runner's checkpoint at ``epoch``/``iteration``
    (weights, optimisers, schedulers, an empty message hub), atomically."""
    from mmengine.logging import MessageHub

    optimizer, schedulers = training_state_at(cfg, model, epoch, iteration)
    checkpoint = dict(
        meta=dict(meta or {}, epoch=int(epoch), iter=int(iteration)),
        state_dict=OrderedDict(
            (k, v.detach().cpu()) for k, v in model.state_dict().items()),
        optimizer=optimizer,
        message_hub=MessageHub('official_gan_conversion').state_dict())
    if schedulers is not None:
        checkpoint['param_schedulers'] = schedulers
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    atomic_write_bytes(buffer.getvalue(), out)


__all__ = ['OFFICIAL_NETWORKS', 'METHODS', 'ConversionError',
           'official_files', 'detect_method', 'patch_sample_f_to_toolbox',
           'convert_official_networks', 'training_state_at',
           'write_toolbox_checkpoint']
