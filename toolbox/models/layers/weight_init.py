"""Weight initialisation of CycleGAN, CUT and DCD-GAN (``init_type``).

Their networks are initialised by one function applied to every
sub-module (the official ``networks.init_weights``): convolution and linear
weights from the chosen scheme, their biases to 0, and batch-norm scales
from N(1, gain²) with shifts 0. CycleGAN uses ``'normal'`` with gain 0.02;
CUT and DCD-GAN ``'xavier'`` with gain 0.02.
"""
from torch import nn
from torch.nn import init

#: Schemes accepted by :func:`init_gan_weights`.
INIT_TYPES = ('normal', 'xavier', 'kaiming', 'orthogonal')


def init_gan_weights(module: nn.Module, init_type: str = 'normal',
                     init_gain: float = 0.02) -> nn.Module:
    """Initialise ``module`` and all its sub-modules in place, as released.

    For every convolution (``Conv*d``, ``ConvTranspose*d``) and
    ``nn.Linear``:

    * ``'normal'``: weight ~ N(0, init_gain²);
    * ``'xavier'``: ``xavier_normal_(gain=init_gain)``;
    * ``'kaiming'``: ``kaiming_normal_(a=0, mode='fan_in')`` (the gain is
      not used, as released);
    * ``'orthogonal'``: ``orthogonal_(gain=init_gain)``;

    and its bias (if any) is set to 0. Batch-norm layers get weight ~
    N(1, init_gain²) and bias 0 (the release does this for ``BatchNorm2d``;
    here for every ``_BatchNorm``, SyncBatchNorm included). Other modules
    (instance norm, fixed blur filters) are left as they are.

    Returns ``module``.
    """
    if init_type not in INIT_TYPES:
        raise ValueError(
            f'init_type must be one of {INIT_TYPES}, got {init_type!r}')
    for m in module.modules():
        if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear)):
            if init_type == 'normal':
                init.normal_(m.weight, 0.0, init_gain)
            elif init_type == 'xavier':
                init.xavier_normal_(m.weight, gain=init_gain)
            elif init_type == 'kaiming':
                init.kaiming_normal_(m.weight, a=0, mode='fan_in')
            else:
                init.orthogonal_(m.weight, gain=init_gain)
            if m.bias is not None:
                init.zeros_(m.bias)
        elif isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
            init.normal_(m.weight, 1.0, init_gain)
            init.zeros_(m.bias)
    return module
