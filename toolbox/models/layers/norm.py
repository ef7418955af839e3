"""Normalisation layers of the CycleGAN family of networks, and the
clean-up that old official checkpoints need.

CycleGAN, CUT and DCD-GAN choose the normalisation by name and derive from it
whether convolutions carry a bias: a conv followed by a norm with a learned
shift (batch norm) does not need one; instance norm *without* affine
parameters removes the mean, so there the conv keeps its bias, as released.
"""
from typing import Dict

import torch
from torch import nn

#: Names accepted by :func:`build_norm`.
NORM_TYPES = ('instance', 'batch', 'none')


def build_norm(norm: str, channels: int) -> nn.Module:
    """The normalisation layer named ``norm`` for ``channels`` channels.

    ``'instance'``: ``InstanceNorm2d(affine=False, track_running_stats=False)``
    (no parameters, no buffers); ``'batch'``: ``BatchNorm2d`` with affine
    parameters and running statistics; ``'none'``: no normalisation
    (``nn.Identity``, as the official code's ``norm='none'``).
    """
    if norm == 'instance':
        return nn.InstanceNorm2d(channels, affine=False,
                                 track_running_stats=False)
    if norm == 'batch':
        return nn.BatchNorm2d(channels, affine=True, track_running_stats=True)
    if norm == 'none':
        return nn.Identity()
    raise ValueError(f'norm must be one of {NORM_TYPES}, got {norm!r}')


def conv_bias_for(norm: str) -> bool:
    """Whether the convs before a ``norm`` layer have a bias: as released
    for instance norm (yes) and batch norm (no, its shift does it); yes
    without a norm.

    The official code decides by testing whether the norm is instance norm,
    so its ``norm='none'`` networks have no bias at all and nothing can
    shift their features; no released model uses ``'none'``, and here the
    convs keep their bias.
    """
    if norm not in NORM_TYPES:
        raise ValueError(f'norm must be one of {NORM_TYPES}, got {norm!r}')
    return norm in ('instance', 'none')


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
