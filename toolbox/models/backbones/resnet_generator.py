"""The ResNet generator of CycleGAN (Zhu et al., ICCV 2017), after Johnson et
al.'s style-transfer network, and CUT's anti-aliased variant (Park et al.,
ECCV 2020) that DCD-GAN (Chen et al., CVPR 2022) also uses.

Layout (``ngf`` = ``base_channels``, every norm is followed by a ReLU)::

    reflect-pad 3, conv 7×7 → ngf, norm
    2 × downsampling to 2·ngf, 4·ngf:
        CycleGAN (antialias=False): conv 3×3 stride 2, norm
        CUT (antialias=True):       conv 3×3 stride 1, norm, BlurPool (×½)
    num_blocks × ResnetBlock(4·ngf)
    2 × upsampling to 2·ngf, ngf:
        CycleGAN: ConvTranspose 3×3 stride 2 (padding 1, output_padding 1),
                  norm
        CUT:      BlurUpsample (×2), conv 3×3 stride 1, norm
    reflect-pad 3, conv 7×7 → out_channels (with bias), tanh

The layers form one ``nn.Sequential`` named ``model`` and residual blocks
keep theirs in ``conv_block``, as in the official code, so the
``state_dict`` keys are the official ones (``model.1.weight``,
``model.10.conv_block.1.weight``, ...) and a generator saved by the official
CycleGAN / CUT / DCD-GAN code (a raw state dict, e.g.
``latest_net_G_A.pth``) loads with ``load_state_dict(strict=True)``.
"""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from toolbox.models.layers.antialias import BlurPool2d, BlurUpsample2d
from toolbox.models.layers.norm import build_norm, conv_bias_for
from toolbox.weights import (drop_untracked_norm_stats,
                             load_state_dict_strictly)
from toolbox.models.layers.weight_init import init_gan_weights
from toolbox.registry import BACKBONES

#: ``padding_mode`` of the residual blocks → padding layer (``'zero'``
#: pads inside the convolution instead).
_PAD_LAYERS = {'reflect': nn.ReflectionPad2d, 'replicate': nn.ReplicationPad2d}
PADDING_MODES = ('reflect', 'replicate', 'zero')


class ResnetBlock(nn.Module):
    """Residual block ``x + conv_block(x)`` with, in ``conv_block``:
    pad 1, conv 3×3, norm, ReLU, [Dropout(0.5)], pad 1, conv 3×3, norm.

    With ``padding_mode='zero'`` the pad layers are absent and the convs pad
    by 1 themselves (indices in ``conv_block`` shift accordingly, as in the
    official code).
    """

    def __init__(self, channels: int, padding_mode: str = 'reflect',
                 norm: str = 'instance', use_dropout: bool = False,
                 bias: bool = True):
        super().__init__()
        if padding_mode not in PADDING_MODES:
            raise ValueError(f'padding_mode must be one of {PADDING_MODES}, '
                             f'got {padding_mode!r}')

        def padded_conv():
            if padding_mode == 'zero':
                return [nn.Conv2d(channels, channels, 3, padding=1, bias=bias)]
            return [_PAD_LAYERS[padding_mode](1),
                    nn.Conv2d(channels, channels, 3, bias=bias)]

        layers = padded_conv() + [build_norm(norm, channels), nn.ReLU(True)]
        if use_dropout:
            layers.append(nn.Dropout(0.5))
        layers += padded_conv() + [build_norm(norm, channels)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


def _pre_tanh(image: torch.Tensor, size) -> torch.Tensor:
    """``atanh`` of ``image`` (in [-1, 1]), padded (replicate, bottom and
    right) to ``size`` where the network rounds sizes up to a multiple of 4.
    Clamped inside ±(1 − 1e-3) (±3.8 before tanh): a pixel at exactly ±1
    would be infinite before tanh; the identity start is within 1e-3."""
    bottom, right = size[0] - image.shape[-2], size[1] - image.shape[-1]
    if bottom or right:
        image = F.pad(image, (0, right, 0, bottom), mode='replicate')
    return torch.atanh(image.clamp(-1 + 1e-3, 1 - 1e-3))


@BACKBONES.register_module()
class ResnetGenerator(BaseModule):
    """CycleGAN's ResNet generator (``antialias=False``) or CUT's
    anti-aliased one (``antialias=True``); official ``state_dict`` keys.

    With 9 blocks, ``base_channels=64`` and instance norm both variants have
    11,378,179 parameters (the anti-aliasing filters are fixed buffers).
    Outputs are in [-1, 1] (tanh), for inputs normalised to [-1, 1].
    Sizes that are multiples of 4 come back unchanged; others come back
    rounded up to one (``4·ceil(H/4)``, the encoder rounds up), as released.

    **Intermediate features** (CUT's patch-NCE layers): layer ``i`` is
    ``self.model[i]`` and its feature is that layer's *output*.
    ``forward(x, layers=[0, 4, 8, 12, 16])`` returns ``(output, feats)``;
    with ``encode_only=True`` only ``feats``, and the layers after the last
    requested one are not run. :meth:`feature_channels` gives the widths
    without running anything. Which layer an index names depends on the
    variant (``docs/models/resnet_generator.md`` has the table); for
    9 blocks, ngf 64:

    ====== ============================= ==============================
    index  antialias=True (CUT, DCD-GAN)  antialias=False (CycleGAN)
    ====== ============================= ==============================
    0      reflect pad, 3@H+6            reflect pad, 3@H+6
    4      conv (128) at H               conv stride 2 (128) at H/2
    8      conv (256) at H/2             norm (256) at H/4
    12     ResnetBlock 1 (256) at H/4    ResnetBlock 3 (256) at H/4
    16     ResnetBlock 5 (256) at H/4    ResnetBlock 7 (256) at H/4
    ====== ============================= ==============================

    Args:
        in_channels, out_channels: image channels (3).
        base_channels: ``ngf``, the width of the first conv (64).
        num_blocks: residual blocks (9 for 256² images, 6 for 128²).
        norm: ``'instance'`` (no affine, no running stats; convs with bias),
            ``'batch'`` (convs without bias) or ``'none'`` (no
            normalisation, convs with bias; see
            :func:`~toolbox.models.layers.norm.conv_bias_for`).
        use_dropout: Dropout(0.5) inside each residual block (off, as in
            CycleGAN's ``--no_dropout`` default and CUT).
        padding_mode: padding of the residual blocks' convs: ``'reflect'``,
            ``'replicate'`` or ``'zero'``. The first and last 7×7 convs
            always reflect-pad.
        antialias: CUT's anti-aliased downsampling (conv stride 1 +
            :class:`BlurPool2d`) instead of stride-2 convs.
        antialias_up: CUT's anti-aliased upsampling
            (:class:`BlurUpsample2d` + conv) instead of transposed convs;
            ``None`` follows ``antialias``. (CUT has separate flags,
            ``--no_antialias`` and ``--no_antialias_up``.)
        init_type, init_gain: the initialisation :meth:`init_weights`
            applies (:func:`~toolbox.models.layers.init_gan_weights`):
            CycleGAN ``'normal'``, 0.02; CUT and DCD-GAN ``'xavier'``, 0.02.
            ``init_type=None`` keeps PyTorch's default initialisation.
        init_cfg: MMEngine ``init_cfg``, applied after ``init_type`` (so
            ``dict(type='Pretrained', ...)`` overrides it).
        global_residual: not in CycleGAN, CUT or DCD-GAN (off in the paper
            configs). The output becomes ``tanh(atanh(x) + h)``, ``h`` the
            last conv's output, and that conv starts at zero, so the
            untrained generator is the identity: a short run spends its
            iterations on the translation, not on learning to copy the
            image (the demo configs; docs/models/resnet_generator.md).
            Layers, their indices and ``state_dict`` keys are unchanged.
    """

    def __init__(self,
                 in_channels: int = 3,
                 out_channels: int = 3,
                 base_channels: int = 64,
                 num_blocks: int = 9,
                 norm: str = 'instance',
                 use_dropout: bool = False,
                 padding_mode: str = 'reflect',
                 antialias: bool = False,
                 antialias_up: Optional[bool] = None,
                 init_type: Optional[str] = 'normal',
                 init_gain: float = 0.02,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 global_residual: bool = False):
        super().__init__(init_cfg=init_cfg)
        self.global_residual = global_residual
        if num_blocks < 0:
            raise ValueError(f'num_blocks must be >= 0, got {num_blocks}')
        if antialias_up is None:
            antialias_up = antialias
        self.antialias, self.antialias_up = antialias, antialias_up
        self.init_type, self.init_gain = init_type, init_gain
        bias = conv_bias_for(norm)
        ngf = base_channels

        layers = [nn.ReflectionPad2d(3),
                  nn.Conv2d(in_channels, ngf, 7, bias=bias),
                  build_norm(norm, ngf), nn.ReLU(True)]
        for i in range(2):  # downsampling
            c_in, c_out = ngf * 2**i, ngf * 2**(i + 1)
            if antialias:
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=bias),
                           build_norm(norm, c_out), nn.ReLU(True),
                           BlurPool2d(c_out)]
            else:
                layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1,
                                     bias=bias),
                           build_norm(norm, c_out), nn.ReLU(True)]
        layers += [
            ResnetBlock(ngf * 4, padding_mode, norm, use_dropout, bias)
            for _ in range(num_blocks)
        ]
        for i in range(2):  # upsampling
            c_in, c_out = ngf * 2**(2 - i), ngf * 2**(1 - i)
            if antialias_up:
                layers += [BlurUpsample2d(c_in),
                           nn.Conv2d(c_in, c_out, 3, padding=1, bias=bias)]
            else:
                layers += [nn.ConvTranspose2d(c_in, c_out, 3, stride=2,
                                              padding=1, output_padding=1,
                                              bias=bias)]
            layers += [build_norm(norm, c_out), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3),
                   nn.Conv2d(ngf, out_channels, 7),
                   nn.Tanh()]
        self.model = nn.Sequential(*layers)

        # Output width of every layer, for feature_channels().
        widths, channels = [], in_channels
        for layer in self.model:
            channels = getattr(layer, 'out_channels', channels)
            widths.append(channels)
        self._widths = widths

    @property
    def num_layers(self) -> int:
        """Number of layers of ``self.model`` (valid indices are below it)."""
        return len(self.model)

    def _check_layers(self, layers: Sequence[int]) -> List[int]:
        layers = [int(i) for i in layers]
        bad = [i for i in layers if not 0 <= i < len(self.model)]
        if bad:
            raise IndexError(
                f'ResnetGenerator: feature layers {bad} out of range; this '
                f'generator has layers 0..{len(self.model) - 1}')
        return layers

    def feature_channels(self, layers: Sequence[int]) -> List[int]:
        """Channel width of the output of each layer in ``layers``, without
        running data (e.g. to build patch-NCE projection heads at
        construction): ``[3, 128, 256, 256, 256]`` for CUT's
        ``[0, 4, 8, 12, 16]`` and ngf 64."""
        return [self._widths[i] for i in self._check_layers(layers)]

    def forward(self, x: torch.Tensor,
                layers: Optional[Sequence[int]] = None,
                encode_only: bool = False):
        """Translate ``x`` (``N×C×H×W``, in [-1, 1]).

        Args:
            x: the input images.
            layers: indices of ``self.model`` whose outputs to return, in the
                order given (CUT's ``nce_layers``). ``None`` or empty: just
                the output image, and nothing else is kept.
            encode_only: return only the features, and stop after the last
                requested layer (the rest of the network is not run).

        Returns:
            the output image; ``(output, feats)`` with ``layers``; or
            ``feats`` (a list of tensors) with ``encode_only``.
        """
        if not layers:
            if encode_only:
                raise ValueError('encode_only=True needs `layers`')
            if not self.global_residual:
                return self.model(x)
        layers = self._check_layers(layers or [])
        wanted = set(layers)
        stop = max(layers) + 1 if encode_only else len(self.model)
        found = {}
        image = x
        for i in range(stop):
            if self.global_residual and i == len(self.model) - 1:
                x = x + _pre_tanh(image, x.shape[-2:])
            x = self.model[i](x)
            if i in wanted:
                following = self.model[i + 1] if i + 1 < stop else None
                # An in-place ReLU next would overwrite the returned feature
                # (as happens in the official code for norm outputs); keep
                # the layer's true output.
                if getattr(following, 'inplace', False):
                    found[i] = x.clone()
                else:
                    found[i] = x
        feats = [found[i] for i in layers]
        if encode_only:
            return feats
        return (x, feats) if layers else x

    def init_weights(self):
        """Apply ``init_type`` (CycleGAN's initialisation), then
        ``init_cfg`` if any. The Runner calls this before training."""
        first = not self._is_init
        if first and self.init_type is not None:
            init_gan_weights(self, self.init_type, self.init_gain)
        if first and self.global_residual:
            last_conv = self.model[-2]
            nn.init.zeros_(last_conv.weight)
            nn.init.zeros_(last_conv.bias)
        super().init_weights()

    def load_official_state_dict(self, state_dict: dict) -> None:
        """Strictly load a generator saved by the official CycleGAN, CUT or
        DCD-GAN code (``torch.load('latest_net_G_A.pth')``), after removing
        a ``module.`` prefix and the instance-norm statistics of files saved
        before PyTorch 0.4 (which the official loader also drops), through
        the weights pipeline
        (:func:`~toolbox.weights.load_state_dict_strictly`: a file of
        another layout is one short ``CheckpointMismatchError``)."""
        load_state_dict_strictly(self,
                                 drop_untracked_norm_stats(state_dict, self),
                                 source='the official generator state dict')
