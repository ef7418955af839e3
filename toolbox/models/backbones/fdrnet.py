"""FDR-Net (Li et al., "Learning Disentangled Feature Representation for
Hybrid-distorted Image Restoration", ECCV 2020).

No official code is public; this file is the toolbox's reading of the
paper (Sec. 3, Figs. 3-5), and every choice the paper leaves open is a
constructor argument (docs/methods/fdrnet.md lists them with the reading
taken by default)::

    x ─ head conv ─► phase 1 ─► phase 2 ─► … ─► phase P ─ tail conv ─(+x)─► y

    phase (feature f, residual stream r) ─► (f', r'):
        lower branch  FDM: d_1 = FD_1(f), …, d_n = FD_n(d_{n-1})
                      FAM: a_1 = FA_1(d_n), a_k = FA_k(a_{k-1} + d_{n-k+1})
        r'  = a_n + r                       (first residual of the pair)
        f'  = f + fuse([r', aux(f)])        (second residual of the pair)

    FD-layer = conv k×k + GDN (Eqs. 3-4)
    FA-layer = process module (ResBlocks) → channel attention → IGDN (6-7)
    aux      = ResBlocks (Sec. 3.4, the upper branch of Fig. 5)
    fuse     = concatenation → channel attention → conv k×k (Sec. 3.5)

* Skip connections join each FD-layer's output to the input of the
  FA-layer that mirrors it (``fd_fa_skip``): the last FD-layer feeds the
  first FA-layer directly, the first FD-layer's output is added to the
  input of the last FA-layer, so each IGDN undoes the gain control of the
  GDN at the same depth.
* "Dual residual" (Sec. 3.5) follows DuRN (Liu et al., CVPR 2019), whose
  blocks carry two streams through paired operations: here the pair is
  the disentangle/aggregate branch (its output accumulates over phases in
  the residual stream ``r``, initialised with the head feature) and the
  fusion with the auxiliary branch (added to the phase input).
  ``dual_residual=False`` keeps only ``f' = f + fuse([a_n, aux(f)])``.
* Without the auxiliary branch (``num_aux_blocks=0``, Table 5's third
  row) there is nothing to fuse: the lower branch's output (plus ``r``)
  is the phase's residual.
* Table 5's second row replaces the FD- and FA-layers by a plain chain of
  ResBlocks (``lower_branch='resblocks'``, ``num_lower_blocks`` of them).
* Each IGDN has parameters of its own; ``tie_igdn=True`` makes it share
  those of the GDN it mirrors (Eq. 7 reuses Eq. 4's symbols; see
  :class:`FDRNet`).

The defaults (32 channels, 6 phases, 3 FD-layers and 3 FA-layers per
phase, 3 ResBlocks per process module, 3 auxiliary ResBlocks, channel
attention reduction 8, 3×3 convolutions with biases) give 1,660,571
parameters, Table 5's "1.66M"; without the auxiliary branch 1,210,283
("1.21M"); with 11 ResBlocks in place of the FD/FA-layers 1,672,787 (the
paper's baseline: "almost the same", 1.62M). The paper gives the totals,
not these settings: they were chosen to match the totals.

``forward(x, return_features=True)`` returns ``(y, features)`` with
``features['fdm']`` the FDM output ``d_n`` of every phase (the SVDO
loss's input, Eq. 5) and ``features['fdm_in']`` the feature entering each
FDM (``f``), for the correlation analysis of Sec. 4.5; both lists are
empty without FDM. Collecting them costs nothing when not asked.
"""
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn

from toolbox.models.layers.attention import ChannelAttention, same_conv
from toolbox.models.layers.gdn import GDN, IGDN
from toolbox.models.layers.resblock import ResBlock
from toolbox.registry import BACKBONES

LOWER_BRANCHES = ('fdm', 'resblocks')


def _resblocks(channels: int, count: int, kernel_size: int) -> nn.Sequential:
    return nn.Sequential(
        *[ResBlock(channels, kernel_size) for _ in range(count)])


class FDLayer(nn.Module):
    """Feature disentanglement layer: ``GDN(conv(x))`` (Eqs. 3-4)."""

    def __init__(self, channels: int, kernel_size: int = 3,
                 gdn_cfg: Optional[dict] = None):
        super().__init__()
        self.conv = same_conv(channels, channels, kernel_size, bias=True)
        self.gdn = GDN(channels, **(gdn_cfg or {}))

    def forward(self, x):
        return self.gdn(self.conv(x))


class FALayer(nn.Module):
    """Feature aggregation layer: process module (ResBlocks), channel
    attention (Eq. 6), inverse gain control (IGDN, Eq. 7)."""

    def __init__(self, channels: int, num_process_blocks: int = 3,
                 reduction: int = 8, kernel_size: int = 3,
                 gdn_cfg: Optional[dict] = None):
        super().__init__()
        self.process = _resblocks(channels, num_process_blocks, kernel_size)
        self.attention = ChannelAttention(channels, reduction, bias=True)
        self.igdn = IGDN(channels, **(gdn_cfg or {}))

    def forward(self, x):
        return self.igdn(self.attention(self.process(x)))


class DisentangleBranch(nn.Module):
    """FDM (FD-layers) then FAM (FA-layers in mirror order, joined to the
    FD-layers by skip connections). Returns ``(output, FDM output)``.

    ``tie_igdn=True``: FA-layer ``k``'s IGDN uses the very parameters
    (the same ``nn.Parameter`` objects) of the GDN of FD-layer
    ``n − 1 − k``, the one whose output reaches it by the skip connection
    (see :class:`FDRNet`). The state dict then holds each shared tensor
    under both names, with equal values; one whose IGDN values differ from
    their GDN's (a checkpoint of the untied form) is refused.
    """

    def __init__(self, channels: int, num_fd_layers: int = 3,
                 num_process_blocks: int = 3, reduction: int = 8,
                 kernel_size: int = 3, fd_fa_skip: bool = True,
                 gdn_cfg: Optional[dict] = None, tie_igdn: bool = False):
        super().__init__()
        if num_fd_layers < 1:
            raise ValueError(f'FDRNet: num_fd_layers must be >= 1, got '
                             f'{num_fd_layers}')
        self.fd_layers = nn.ModuleList(
            FDLayer(channels, kernel_size, gdn_cfg)
            for _ in range(num_fd_layers))
        self.fa_layers = nn.ModuleList(
            FALayer(channels, num_process_blocks, reduction, kernel_size,
                    gdn_cfg) for _ in range(num_fd_layers))
        self.fd_fa_skip = fd_fa_skip
        self.tie_igdn = bool(tie_igdn)
        if self.tie_igdn:
            for fa, fd in self.tied_pairs():
                # Assigning a Parameter registers that same object: one
                # tensor, one gradient (the sum of both uses), one
                # optimiser entry (parameters() lists it once).
                fa.igdn.raw_weight = fd.gdn.raw_weight
                fa.igdn.raw_bias = fd.gdn.raw_bias

    def tied_pairs(self) -> List[Tuple[FALayer, FDLayer]]:
        """``(FA-layer k, FD-layer n − 1 − k)`` for every ``k``: each
        FA-layer with the FD-layer it mirrors."""
        return [(fa, self.fd_layers[len(self.fd_layers) - 1 - k])
                for k, fa in enumerate(self.fa_layers)]

    def check_tied_state(self, state_dict, prefix: str) -> None:
        """Refuse (``RuntimeError``) a state dict whose IGDN values differ
        from the GDN values they are tied to: loading both into the one
        shared tensor would keep whichever came last without a word."""
        if not self.tie_igdn:
            return
        last = len(self.fd_layers) - 1
        for k in range(len(self.fa_layers)):
            for name in ('raw_weight', 'raw_bias'):
                igdn = f'{prefix}fa_layers.{k}.igdn.{name}'
                gdn = f'{prefix}fd_layers.{last - k}.gdn.{name}'
                if igdn in state_dict and gdn in state_dict and \
                        not torch.equal(state_dict[igdn], state_dict[gdn]):
                    raise RuntimeError(
                        f'{igdn} differs from {gdn}: the state dict is of '
                        'an FDR-Net whose IGDNs have parameters of their '
                        'own (tie_igdn=False), this one ties each IGDN to '
                        'its GDN (tie_igdn=True); load it with '
                        'model.generator.tie_igdn=False')

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        self.check_tied_state(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x) -> Tuple[torch.Tensor, torch.Tensor]:
        skips = []
        for layer in self.fd_layers:
            x = layer(x)
            skips.append(x)
        disentangled = x
        for k, layer in enumerate(self.fa_layers):
            if k and self.fd_fa_skip:
                x = x + skips[-1 - k]
            x = layer(x)
        return x, disentangled


class ResBlockBranch(nn.Module):
    """Table 5's baseline lower branch: a chain of ResBlocks (no FDM)."""

    def __init__(self, channels: int, num_blocks: int, kernel_size: int = 3):
        super().__init__()
        self.blocks = _resblocks(channels, num_blocks, kernel_size)

    def forward(self, x) -> Tuple[torch.Tensor, None]:
        return self.blocks(x), None


class FDRPhase(nn.Module):
    """One phase: lower branch, auxiliary branch, fusion, dual residual.

    ``forward(f, r)`` returns ``(f', r', fdm output or None)``.
    """

    def __init__(self, channels: int, lower: nn.Module, num_aux_blocks: int,
                 reduction: int, kernel_size: int, dual_residual: bool):
        super().__init__()
        self.lower = lower
        self.dual_residual = dual_residual
        if num_aux_blocks:
            self.aux = _resblocks(channels, num_aux_blocks, kernel_size)
            self.fusion = nn.Sequential(
                ChannelAttention(2 * channels, reduction, bias=True),
                same_conv(2 * channels, channels, kernel_size, bias=True))
        else:
            self.aux = None
            self.fusion = None

    def forward(self, feat, res):
        lower, fdm = self.lower(feat)
        if self.dual_residual:
            lower = lower + res
        if self.aux is None:
            update = lower
        else:
            update = self.fusion(torch.cat([lower, self.aux(feat)], dim=1))
        return feat + update, lower, fdm


@BACKBONES.register_module()
class FDRNet(nn.Module):
    """FDR-Net for hybrid-distorted image restoration (see the module
    docstring for the layout).

    Args:
        in_channels, out_channels: image channels (the global residual
            ``y = tail(f) + x`` needs them equal).
        channels: feature width (paper: 32, Table 6).
        num_phases: identical phases (6).
        num_fd_layers: FD-layers per FDM, and FA-layers per FAM (paper: 3,
            Table 6).
        num_process_blocks: ResBlocks of each FA-layer's process module (3).
        num_aux_blocks: ResBlocks of the auxiliary branch (3; 0 removes the
            branch and the fusion: Table 5's "without Aux.").
        reduction: channel attention reduction (8), in the FA-layers and
            the fusion.
        kernel_size: every spatial convolution (3).
        lower_branch: ``'fdm'`` (FD/FA-layers) or ``'resblocks'`` (Table
            5's baseline, ``num_lower_blocks`` ResBlocks).
        num_lower_blocks: ResBlocks of the ``'resblocks'`` baseline (11:
            the parameter count closest to the FD/FA-layers it replaces).
        fd_fa_skip: skip connections from the FD-layers to the mirrored
            FA-layers.
        dual_residual: DuRN-style dual residual between phases (else one
            residual per phase).
        global_residual: add the input image to the output.
        gdn_cfg: extra arguments of every GDN/IGDN (``beta_min``,
            ``gamma_init``).
        tie_igdn: whether each IGDN shares the parameters ``w``, ``b`` of
            the GDN it mirrors (FA-layer ``k`` and FD-layer ``n − 1 − k``,
            joined by the skip connection). Eq. (7) writes the inverse with
            "the same symbols" ``w_ji``, ``b_i`` as Eq. (4) and calls it the
            "inversion formula from Eq. 4", which can mean either the same
            learned values or a transform of the same form. Default
            ``False`` (own parameters), judged from the paper's counts: as
            in learned image compression, where an IGDN has its own
            parameters, the paper's wording names the form; and untied, the
            defaults give both Table 5 totals (1.66M, 1.21M), tied they
            give 1,641,563 and 1,191,275 (1.64M, 1.19M), and no setting of
            phases, process module, auxiliary branch and attention
            reduction gives both tied (docs/methods/fdrnet.md).
            ``True`` removes ``C² + C`` parameters per FA-layer (19,008 for
            the defaults); a checkpoint of the untied form is refused
            (:class:`DisentangleBranch`), one of the tied form loads into
            an untied model (each IGDN then starts from its GDN's values).
    """

    def __init__(self,
                 in_channels: int = 3,
                 out_channels: int = 3,
                 channels: int = 32,
                 num_phases: int = 6,
                 num_fd_layers: int = 3,
                 num_process_blocks: int = 3,
                 num_aux_blocks: int = 3,
                 reduction: int = 8,
                 kernel_size: int = 3,
                 lower_branch: str = 'fdm',
                 num_lower_blocks: int = 11,
                 fd_fa_skip: bool = True,
                 dual_residual: bool = True,
                 global_residual: bool = True,
                 gdn_cfg: Optional[dict] = None,
                 tie_igdn: bool = False):
        super().__init__()
        if lower_branch not in LOWER_BRANCHES:
            raise ValueError(f'FDRNet: lower_branch must be one of '
                             f'{LOWER_BRANCHES}, got {lower_branch!r}')
        if num_phases < 1:
            raise ValueError(f'FDRNet: num_phases must be >= 1, got '
                             f'{num_phases}')
        if global_residual and in_channels != out_channels:
            raise ValueError('FDRNet: global_residual needs in_channels == '
                             f'out_channels, got {in_channels} and '
                             f'{out_channels}')
        if channels % reduction or (num_aux_blocks and
                                    (2 * channels) % reduction):
            raise ValueError(f'FDRNet: channels ({channels}) must be a '
                             f'multiple of reduction ({reduction})')
        self.lower_branch = lower_branch
        self.global_residual = global_residual
        self.head = same_conv(in_channels, channels, kernel_size, bias=True)

        def lower():
            if lower_branch == 'fdm':
                return DisentangleBranch(channels, num_fd_layers,
                                         num_process_blocks, reduction,
                                         kernel_size, fd_fa_skip, gdn_cfg,
                                         tie_igdn)
            return ResBlockBranch(channels, num_lower_blocks, kernel_size)

        self.phases = nn.ModuleList(
            FDRPhase(channels, lower(), num_aux_blocks, reduction,
                     kernel_size, dual_residual) for _ in range(num_phases))
        self.tail = same_conv(channels, out_channels, kernel_size, bias=True)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # Check every phase before any tensor is copied, so that a refused
        # state dict leaves the network as it was.
        for index, phase in enumerate(self.phases):
            if isinstance(phase.lower, DisentangleBranch):
                phase.lower.check_tied_state(
                    state_dict, f'{prefix}phases.{index}.lower.')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: torch.Tensor, return_features: bool = False):
        """Restore ``x`` (``N×C×H×W``, any size); with ``return_features``
        also return ``{'fdm': [...], 'fdm_in': [...]}``, one entry per
        phase."""
        feat = self.head(x)
        res = feat
        fdm: List[torch.Tensor] = []
        fdm_in: List[torch.Tensor] = []
        for phase in self.phases:
            before = feat
            feat, res, disentangled = phase(feat, res)
            if disentangled is not None:
                fdm.append(disentangled)
                fdm_in.append(before)
        out = self.tail(feat)
        if self.global_residual:
            out = out + x
        if return_features:
            features: Dict[str, List[torch.Tensor]] = dict(fdm=fdm,
                                                           fdm_in=fdm_in)
            return out, features
        return out


__all__ = ['FDRNet', 'FDLayer', 'FALayer', 'DisentangleBranch',
           'ResBlockBranch', 'FDRPhase']
