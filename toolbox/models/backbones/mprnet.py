"""MPRNet: Multi-Stage Progressive Image Restoration (Zamir et al., CVPR 2021).

Three stages: two encoder-decoder U-Nets working on 4 and 2 patches of the
image, then an original-resolution subnetwork (ORSNet); supervised attention
modules (SAM) pass each stage's features on, and cross-stage feature fusion
(CSFF) feeds stage-1 features into stage 2.

The module hierarchy (and so every ``state_dict`` key) follows the official
release (swz30/MPRNet), so its checkpoints load unchanged. One difference in
*execution*, not in the result: the official code runs stage 1 four times
(once per patch) and stage 2 twice; here the patches are stacked along the
batch dimension and each sub-network runs once. Every operation is local to
a sample (convolutions, per-sample channel attention, resizing), so outputs
are equal to float rounding, with fewer, larger kernel calls.
"""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from toolbox.models.layers.attention import ChannelAttentionBlock, same_conv
from toolbox.registry import BACKBONES
from toolbox.tile_windows import pad_mode_for
from toolbox.weights import load_weights

#: (n_feat, scale_unetfeats, scale_orsnetfeats) of the official task files.
MPRNET_VARIANTS = {
    'deraining': (40, 20, 16),
    'denoising': (80, 48, 32),
    'deblurring': (96, 48, 32),
}


# MPRNet's name for the shared same-size convolution.
conv = same_conv


class CAB(ChannelAttentionBlock):
    """MPRNet's channel attention block (its activation is required: MPRNet
    shares one PReLU between all blocks)."""

    def __init__(self, channels: int, kernel_size: int, reduction: int,
                 bias: bool, act: nn.Module):
        super().__init__(channels, kernel_size, reduction, bias, act)


def cab_group(count: int, channels: int, kernel_size: int, reduction: int,
              bias: bool, act: nn.Module) -> nn.Sequential:
    """``count`` CABs in a row (the U-Net levels hold 2)."""
    return nn.Sequential(*[
        CAB(channels, kernel_size, reduction, bias, act) for _ in range(count)
    ])


class SAM(nn.Module):
    """Supervised attention module: predicts the stage's image and gates the
    features passed to the next stage with it."""

    def __init__(self, channels: int, kernel_size: int, bias: bool):
        super().__init__()
        self.conv1 = conv(channels, channels, kernel_size, bias)
        self.conv2 = conv(channels, 3, kernel_size, bias)
        self.conv3 = conv(3, channels, kernel_size, bias)

    def forward(self, x, x_img) -> Tuple[torch.Tensor, torch.Tensor]:
        img = self.conv2(x) + x_img
        gated = self.conv1(x) * torch.sigmoid(self.conv3(img))
        return gated + x, img


def _resize_conv(in_channels: int, out_channels: int,
                 scale: float) -> nn.Sequential:
    """Bilinear resize by ``scale``, then a 1×1 conv (index 1, as released).
    """
    return nn.Sequential(
        nn.Upsample(scale_factor=scale, mode='bilinear', align_corners=False),
        nn.Conv2d(in_channels, out_channels, 1, bias=False))


class DownSample(nn.Module):
    """Halve the resolution, widen by ``s_factor`` channels."""

    def __init__(self, in_channels: int, s_factor: int):
        super().__init__()
        self.down = _resize_conv(in_channels, in_channels + s_factor, 0.5)

    def forward(self, x):
        return self.down(x)


class UpSample(nn.Module):
    """Double the resolution, narrow by ``s_factor`` channels."""

    def __init__(self, in_channels: int, s_factor: int):
        super().__init__()
        self.up = _resize_conv(in_channels + s_factor, in_channels, 2)

    def forward(self, x):
        return self.up(x)


class SkipUpSample(UpSample):
    """:class:`UpSample` followed by adding the skip connection."""

    def forward(self, x, skip):
        return self.up(x) + skip


class Encoder(nn.Module):
    """Three-level U-Net encoder (2 CABs per level), optionally with CSFF."""

    def __init__(self, n_feat, kernel_size, reduction, act, bias,
                 scale_unetfeats, csff: bool):
        super().__init__()
        widths = [n_feat + i * scale_unetfeats for i in range(3)]
        for i, width in enumerate(widths, start=1):
            setattr(self, f'encoder_level{i}',
                    cab_group(2, width, kernel_size, reduction, bias, act))
        self.down12 = DownSample(widths[0], scale_unetfeats)
        self.down23 = DownSample(widths[1], scale_unetfeats)
        self.csff = csff
        if csff:
            for i, width in enumerate(widths, start=1):
                setattr(self, f'csff_enc{i}',
                        nn.Conv2d(width, width, 1, bias=bias))
                setattr(self, f'csff_dec{i}',
                        nn.Conv2d(width, width, 1, bias=bias))

    def _fuse(self, level: int, x, encoder_outs, decoder_outs):
        if encoder_outs is None or decoder_outs is None:
            return x
        enc = getattr(self, f'csff_enc{level}')(encoder_outs[level - 1])
        dec = getattr(self, f'csff_dec{level}')(decoder_outs[level - 1])
        return x + enc + dec

    def forward(self, x, encoder_outs=None, decoder_outs=None) -> List:
        enc1 = self._fuse(1, self.encoder_level1(x), encoder_outs,
                          decoder_outs)
        enc2 = self._fuse(2, self.encoder_level2(self.down12(enc1)),
                          encoder_outs, decoder_outs)
        enc3 = self._fuse(3, self.encoder_level3(self.down23(enc2)),
                          encoder_outs, decoder_outs)
        return [enc1, enc2, enc3]


class Decoder(nn.Module):
    """Three-level U-Net decoder with CAB-attended skip connections."""

    def __init__(self, n_feat, kernel_size, reduction, act, bias,
                 scale_unetfeats):
        super().__init__()
        widths = [n_feat + i * scale_unetfeats for i in range(3)]
        for i, width in enumerate(widths, start=1):
            setattr(self, f'decoder_level{i}',
                    cab_group(2, width, kernel_size, reduction, bias, act))
        self.skip_attn1 = CAB(widths[0], kernel_size, reduction, bias, act)
        self.skip_attn2 = CAB(widths[1], kernel_size, reduction, bias, act)
        self.up21 = SkipUpSample(widths[0], scale_unetfeats)
        self.up32 = SkipUpSample(widths[1], scale_unetfeats)

    def forward(self, encoder_outs) -> List:
        enc1, enc2, enc3 = encoder_outs
        dec3 = self.decoder_level3(enc3)
        dec2 = self.decoder_level2(self.up32(dec3, self.skip_attn2(enc2)))
        dec1 = self.decoder_level1(self.up21(dec2, self.skip_attn1(enc1)))
        return [dec1, dec2, dec3]


class ORB(nn.Module):
    """Original-resolution block: ``num_cab`` CABs and a conv, residual."""

    def __init__(self, channels, kernel_size, reduction, act, bias, num_cab):
        super().__init__()
        blocks = [
            CAB(channels, kernel_size, reduction, bias, act)
            for _ in range(num_cab)
        ]
        # The release builds this conv with its default bias=False.
        blocks.append(conv(channels, channels, kernel_size))
        self.body = nn.Sequential(*blocks)

    def forward(self, x):
        return self.body(x) + x


class ORSNet(nn.Module):
    """Stage 3: three ORBs at full resolution, each followed by the injection
    of the stage-2 encoder and decoder features of one scale."""

    def __init__(self, n_feat, scale_orsnetfeats, kernel_size, reduction, act,
                 bias, scale_unetfeats, num_cab):
        super().__init__()
        width = n_feat + scale_orsnetfeats
        for i in (1, 2, 3):
            setattr(self, f'orb{i}',
                    ORB(width, kernel_size, reduction, act, bias, num_cab))
        self.up_enc1 = UpSample(n_feat, scale_unetfeats)
        self.up_dec1 = UpSample(n_feat, scale_unetfeats)
        self.up_enc2 = nn.Sequential(
            UpSample(n_feat + scale_unetfeats, scale_unetfeats),
            UpSample(n_feat, scale_unetfeats))
        self.up_dec2 = nn.Sequential(
            UpSample(n_feat + scale_unetfeats, scale_unetfeats),
            UpSample(n_feat, scale_unetfeats))
        for i in (1, 2, 3):
            setattr(self, f'conv_enc{i}', nn.Conv2d(n_feat, width, 1,
                                                    bias=bias))
            setattr(self, f'conv_dec{i}', nn.Conv2d(n_feat, width, 1,
                                                    bias=bias))

    def forward(self, x, encoder_outs, decoder_outs):
        x = self.orb1(x)
        x = x + self.conv_enc1(encoder_outs[0]) + self.conv_dec1(
            decoder_outs[0])
        x = self.orb2(x)
        x = x + self.conv_enc2(self.up_enc1(encoder_outs[1])) + \
            self.conv_dec2(self.up_dec1(decoder_outs[1]))
        x = self.orb3(x)
        x = x + self.conv_enc3(self.up_enc2(encoder_outs[2])) + \
            self.conv_dec3(self.up_dec2(decoder_outs[2]))
        return x


def _equal_pieces(x: torch.Tensor, parts: int, dim: int) -> List[torch.Tensor]:
    """``x`` cut into ``parts`` equal pieces along ``dim`` (its size is a
    multiple of ``parts``: the input is padded to a multiple of 8)."""
    # Slices, not ``chunk``: chunk exports to ONNX as SplitToSequence,
    # which onnxscript's constant folding fails on when the size is
    # dynamic (tools/export.py); plain slices export to Slice.
    size = x.shape[dim] // parts
    return [x.narrow(dim, i * size, size) for i in range(parts)]


def _split(x: torch.Tensor, parts: int, dim: int) -> torch.Tensor:
    """Cut ``x`` into ``parts`` equal pieces along ``dim`` and stack them on
    the batch dimension (piece-major: [piece0 of all samples, piece1, ...])."""
    return torch.cat(_equal_pieces(x, parts, dim), dim=0)


def _merge(x: torch.Tensor, parts: int, dim: int) -> torch.Tensor:
    """Inverse of :func:`_split`."""
    return torch.cat(_equal_pieces(x, parts, 0), dim=dim)


@BACKBONES.register_module()
class MPRNet(BaseModule):
    """MPRNet with the official layout; outputs ``[stage3, stage2, stage1]``.

    Works on ``[0, 1]`` images (``value_range='[0,1]'``), as released.

    Args:
        in_channels, out_channels: image channels (3).
        n_feat, scale_unetfeats, scale_orsnetfeats: widths; the official
            variants are in :data:`MPRNET_VARIANTS` (deraining 40/20/16,
            3,637,249 parameters; denoising 80/48/32, 15,741,025; deblurring
            96/48/32, 20,127,073). ``variant=`` picks one by name and then
            overrides these three arguments.
        num_cab: CABs per ORB (8).
        kernel_size, reduction, bias: as released (3, 4, False).
        pad_to: inputs are reflect-padded to a multiple of this (8: stage 1
            halves patches of half the image twice) and outputs cropped back,
            so any size works. Must be a multiple of 8.
        init_cfg: e.g. ``dict(type='Pretrained', checkpoint=PATH)`` loads an
            official release (``{'state_dict': ...}``, keys optionally
            ``module.``-prefixed) or a bare state dict; add
            ``prefix='generator.'`` to take the generator out of a toolbox
            checkpoint. Unlike MMEngine's default, the load is strict: a
            checkpoint of another variant or network fails with the
            mismatching keys listed, and a missing file names its path.

    ``forward(x, return_features=True)`` also returns a dict of features:
    ``'dec2_0'``, ``'dec2_1'``, ``'dec2_2'`` (stage-2 decoder, full image, from
    fine to coarse), ``'enc2_0..2'`` (stage-2 encoder) and ``'orsnet'`` (the
    ORSNet output, the last feature before the ``tail`` conv). Features are of
    the padded input.
    """

    def __init__(self,
                 in_channels: int = 3,
                 out_channels: int = 3,
                 n_feat: int = 40,
                 scale_unetfeats: int = 20,
                 scale_orsnetfeats: int = 16,
                 num_cab: int = 8,
                 kernel_size: int = 3,
                 reduction: int = 4,
                 bias: bool = False,
                 variant: Optional[str] = None,
                 pad_to: int = 8,
                 init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg=init_cfg)
        if pad_to <= 0 or pad_to % 8:
            raise ValueError(
                f'MPRNet: pad_to must be a positive multiple of 8 (stage 1 '
                f'halves a quarter of the image twice), got {pad_to}')
        if variant is not None:
            if variant not in MPRNET_VARIANTS:
                raise KeyError(f'variant must be one of '
                               f'{sorted(MPRNET_VARIANTS)}, got {variant!r}')
            n_feat, scale_unetfeats, scale_orsnetfeats = \
                MPRNET_VARIANTS[variant]
        self.pad_to = pad_to
        self.n_feat = n_feat
        # One PReLU shared by every CAB, as released (1 parameter).
        act = nn.PReLU()
        k, r = kernel_size, reduction
        for i in (1, 2, 3):
            setattr(self, f'shallow_feat{i}', nn.Sequential(
                conv(in_channels, n_feat, k, bias),
                CAB(n_feat, k, r, bias, act)))
        self.stage1_encoder = Encoder(n_feat, k, r, act, bias,
                                      scale_unetfeats, csff=False)
        self.stage1_decoder = Decoder(n_feat, k, r, act, bias,
                                      scale_unetfeats)
        self.stage2_encoder = Encoder(n_feat, k, r, act, bias,
                                      scale_unetfeats, csff=True)
        self.stage2_decoder = Decoder(n_feat, k, r, act, bias,
                                      scale_unetfeats)
        self.stage3_orsnet = ORSNet(n_feat, scale_orsnetfeats, k, r, act,
                                    bias, scale_unetfeats, num_cab)
        self.sam12 = SAM(n_feat, kernel_size=1, bias=bias)
        self.sam23 = SAM(n_feat, kernel_size=1, bias=bias)
        self.concat12 = conv(n_feat * 2, n_feat, k, bias)
        self.concat23 = conv(n_feat * 2, n_feat + scale_orsnetfeats, k, bias)
        self.tail = conv(n_feat + scale_orsnetfeats, out_channels, k, bias)

    def init_weights(self):
        """Load ``init_cfg=dict(type='Pretrained', ...)`` strictly; other
        ``init_cfg`` types go through MMEngine (the released networks use
        PyTorch's default initialisation, which construction has done)."""
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else \
            [self.init_cfg] if self.init_cfg else []
        pretrained = [c for c in cfgs if c.get('type') == 'Pretrained']
        if not pretrained or self._is_init:
            return super().init_weights()
        others = [c for c in cfgs if c.get('type') != 'Pretrained']
        if others:
            from mmengine.model import initialize
            initialize(self, others)
        for cfg in pretrained:
            self.load_pretrained(cfg['checkpoint'], prefix=cfg.get('prefix'),
                                 map_location=cfg.get('map_location', 'cpu'))
        self._is_init = True

    def load_pretrained(self, checkpoint: str, prefix: Optional[str] = None,
                        map_location='cpu') -> None:
        """Strictly load an official or toolbox checkpoint into this network.

        Accepts ``{'state_dict': sd}`` (official releases), a bare ``sd``,
        ``module.``-prefixed keys (checkpoints saved from ``DataParallel``),
        a toolbox checkpoint (its ``generator.`` part is taken) and a work
        dir (its newest checkpoint). ``prefix`` picks another part
        explicitly. A file of another variant fails with a summary of the
        mismatch that names the file (see
        :func:`toolbox.weights.load_weights`).
        """
        try:
            load_weights(self, checkpoint, prefix=prefix or 'auto',
                         map_location=map_location, what='MPRNet pretrained')
        except FileNotFoundError as error:
            raise FileNotFoundError(
                f'{error} (expected an official release such as '
                'model_deraining.pth, or a toolbox checkpoint)') from error

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        pad_h, pad_w = (-h) % self.pad_to, (-w) % self.pad_to
        if pad_h == 0 and pad_w == 0:
            return x
        return F.pad(x, (0, pad_w, 0, pad_h),
                     mode=pad_mode_for(h, w, pad_h, pad_w))

    def forward(self, x: torch.Tensor, return_features: bool = False):
        """Restore ``x`` (``N×3×H×W``, any H and W)."""
        h, w = x.shape[-2:]
        x3_img = self._pad(x)
        # Stage 2 sees the top and bottom halves; stage 1 the four quarters.
        x2_img = _split(x3_img, 2, dim=2)  # [top; bottom]
        x1_img = _split(x2_img, 2, dim=3)  # [top-l; bot-l; top-r; bot-r]

        # Stage 1: encode each quarter, join left/right, decode each half.
        feat1 = self.stage1_encoder(self.shallow_feat1(x1_img))
        feat1 = [_merge(f, 2, dim=3) for f in feat1]  # halves
        res1 = self.stage1_decoder(feat1)
        x2_samfeats, stage1_img = self.sam12(res1[0], x2_img)

        # Stage 2: on each half, with CSFF from stage 1; join top/bottom.
        x2 = self.concat12(
            torch.cat([self.shallow_feat2(x2_img), x2_samfeats], dim=1))
        feat2 = self.stage2_encoder(x2, feat1, res1)
        feat2 = [_merge(f, 2, dim=2) for f in feat2]  # full image
        res2 = self.stage2_decoder(feat2)
        x3_samfeats, stage2_img = self.sam23(res2[0], x3_img)

        # Stage 3: original resolution.
        x3 = self.concat23(
            torch.cat([self.shallow_feat3(x3_img), x3_samfeats], dim=1))
        x3 = self.stage3_orsnet(x3, feat2, res2)
        stage3_img = self.tail(x3) + x3_img

        outputs = [
            img[..., :h, :w]
            for img in (stage3_img, stage2_img, _merge(stage1_img, 2, dim=2))
        ]
        if not return_features:
            return outputs
        features = {f'dec2_{i}': f for i, f in enumerate(res2)}
        features.update({f'enc2_{i}': f for i, f in enumerate(feat2)})
        features['orsnet'] = x3
        return outputs, features
