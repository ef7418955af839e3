"""Normalisation layers of the CycleGAN family of networks (the clean-up
that old official checkpoints need is
:func:`toolbox.weights.drop_untracked_norm_stats`).

CycleGAN, CUT and DCD-GAN choose the normalisation by name and derive from it
whether convolutions carry a bias: a conv followed by a norm with a learned
shift (batch norm) does not need one; instance norm *without* affine
parameters removes the mean, so there the conv keeps its bias, as released.
"""
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
