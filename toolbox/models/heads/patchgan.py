"""PatchGAN discriminator (Isola et al., pix2pix, CVPR 2017), as used by
CycleGAN, and CUT's anti-aliased variant (also DCD-GAN's).

It classifies overlapping patches (70×70 for ``num_layers=3``) as real or
fake and returns one logit per patch (no sigmoid: the GAN loss applies it).
Layout (``ndf`` = ``base_channels``, LeakyReLU slope 0.2)::

    conv 4×4 stride 2 → ndf (bias), LReLU
    for n in 1..num_layers-1:
        conv 4×4 stride 2 → ndf·min(2^n, 8), norm, LReLU
    conv 4×4 stride 1 → ndf·min(2^num_layers, 8), norm, LReLU
    conv 4×4 stride 1 → 1 (bias)

All convs pad by 1. With ``antialias=True`` (CUT's default) each stride-2
conv becomes a stride-1 conv followed, after its norm and LReLU, by a
:class:`~toolbox.models.layers.BlurPool2d`; the output size is the same.
The layers form one ``nn.Sequential`` named ``model``, so the
``state_dict`` keys are the official ones and a discriminator saved by the
official code (``latest_net_D_A.pth``) loads with ``strict=True``.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from toolbox.models.layers.antialias import BlurPool2d
from toolbox.models.layers.norm import build_norm, conv_bias_for
from toolbox.weights import (drop_untracked_norm_stats,
                             load_state_dict_strictly)
from toolbox.models.layers.weight_init import init_gan_weights
from toolbox.registry import HEADS


@HEADS.register_module()
class PatchGANDiscriminator(BaseModule):
    """The N-layer PatchGAN discriminator (official ``NLayerDiscriminator``).

    With ``base_channels=64``, ``num_layers=3`` and instance norm it has
    2,764,737 parameters and maps a 256×256 image to a 1×30×30 map of
    logits (:meth:`output_size`).

    Args:
        in_channels: channels of the images it judges (3).
        base_channels: ``ndf``, width of the first conv (64).
        num_layers: stride-2 stages (3: the 70×70 PatchGAN).
        norm: ``'instance'`` (convs with bias), ``'batch'`` (without) or
            ``'none'`` (no normalisation, convs with bias);
            the first and last convs always have a bias.
        antialias: CUT's anti-aliased downsampling (stride-1 conv, norm,
            LReLU, :class:`~toolbox.models.layers.BlurPool2d`); CUT and
            DCD-GAN use it, CycleGAN does not.
        init_type, init_gain: the initialisation :meth:`init_weights`
            applies (``init_gan_weights``); ``None`` keeps PyTorch's.
        init_cfg: MMEngine ``init_cfg``, applied after ``init_type``.
    """

    def __init__(self,
                 in_channels: int = 3,
                 base_channels: int = 64,
                 num_layers: int = 3,
                 norm: str = 'instance',
                 antialias: bool = False,
                 init_type: Optional[str] = 'normal',
                 init_gain: float = 0.02,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        self.num_layers = num_layers
        self.antialias = antialias
        self.init_type, self.init_gain = init_type, init_gain
        bias = conv_bias_for(norm)
        ndf = base_channels

        def downsampling(c_in, c_out, conv_bias, with_norm):
            stride = 1 if antialias else 2
            block = [nn.Conv2d(c_in, c_out, 4, stride=stride, padding=1,
                               bias=conv_bias)]
            if with_norm:
                block.append(build_norm(norm, c_out))
            block.append(nn.LeakyReLU(0.2, True))
            if antialias:
                block.append(BlurPool2d(c_out))
            return block

        layers = downsampling(in_channels, ndf, True, False)
        width = ndf
        for n in range(1, num_layers):
            next_width = ndf * min(2**n, 8)
            layers += downsampling(width, next_width, bias, True)
            width = next_width
        next_width = ndf * min(2**num_layers, 8)
        layers += [nn.Conv2d(width, next_width, 4, padding=1, bias=bias),
                   build_norm(norm, next_width),
                   nn.LeakyReLU(0.2, True),
                   nn.Conv2d(next_width, 1, 4, padding=1)]
        self.model = nn.Sequential(*layers)

    def output_size(self, size: Union[int, Sequence[int]]
                    ) -> Union[int, Tuple[int, ...]]:
        """Size of the logit map for an input of ``size`` (an int or
        ``(H, W)``): each stride-2 stage floors ``s/2`` (both variants),
        the two stride-1 4×4 convs take 1 each; 256 → 30, 64 → 6."""
        if not isinstance(size, int):
            return tuple(self.output_size(s) for s in size)
        for _ in range(self.num_layers):
            size //= 2
        return size - 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``N×1×H'×W'`` (one per patch) for images ``x``."""
        return self.model(x)

    def init_weights(self):
        """Apply ``init_type``, then ``init_cfg`` if any."""
        if not self._is_init and self.init_type is not None:
            init_gan_weights(self, self.init_type, self.init_gain)
        super().init_weights()

    def load_official_state_dict(self, state_dict: dict) -> None:
        """Strictly load a discriminator saved by the official CycleGAN,
        CUT or DCD-GAN code, after removing a ``module.`` prefix and
        instance-norm statistics of pre-0.4 files, through the weights
        pipeline (:func:`~toolbox.weights.load_state_dict_strictly`)."""
        load_state_dict_strictly(
            self, drop_untracked_norm_stats(state_dict, self),
            source='the official discriminator state dict')
