"""Patch sampling with a per-layer projection MLP (CUT's / DCD-GAN's ``F``).

Park et al., "Contrastive Learning for Unpaired Image-to-Image Translation"
(CUT, ECCV 2020), Sec. 3.2, and Chen et al., "Unpaired Deep Image Deraining
Using Dual Contrastive Learning" (DCD-GAN, CVPR 2022), Sec. 3.2: features of
several encoder layers are sampled at a few hundred spatial positions
("patches") and each sample is sent through "a two-layer MLP projection
head" before the patch-wise contrastive loss (DCD-GAN Eq. 2, see
:class:`~toolbox.models.losses.PatchNCELoss`).
"""
from typing import List, Optional, Sequence, Tuple

import torch
from torch import nn

from toolbox.models.layers.weight_init import INIT_TYPES, init_gan_weights
from toolbox.registry import HEADS


@HEADS.register_module()
class PatchSampleMLP(nn.Module):
    """Sample feature-map positions and project them (CUT's PatchSampleF).

    For each layer ``l`` with features ``N×C_l×H×W``:

    1. the map is read as ``N×HW×C_l`` (one ``C_l``-vector per position);
    2. ``P = min(num_patches, HW)`` positions are drawn uniformly without
       replacement (``torch.randperm``), **the same positions for every
       image of the batch**, or the given ``patch_ids`` are used (the query
       reuses the ids of its key, so query ``i`` and key ``i`` sit at the
       same place); ``num_patches=0`` takes every position in order;
    3. the ``N·P`` samples go through the layer's MLP
       ``Linear(C_l, D)-ReLU-Linear(D, D)`` (when ``use_mlp``);
    4. each is L2-normalised as ``x / (‖x‖₂ + 1e-7)``.

    Rows of a layer's output are image-major: row ``n·P + p`` is patch
    ``p`` of image ``n``, which is how :class:`PatchNCELoss` reshapes them.

    Unlike the official code, the MLPs are created here in ``__init__`` from
    ``in_channels`` rather than on the first forward pass, so optimisers,
    DDP and checkpoints see them from construction (and the MLP of every
    layer is used in every forward). With ``num_patches=0`` the output stays
    ``(N·HW)×D`` samples (CUT reshapes it back to a map).

    DCD-GAN uses two of these, ``F1`` on ``G_A``'s and ``F2`` on ``G_B``'s
    encoder layers 4, 8, 12, 16 (``in_channels=(128, 256, 256, 256)``),
    493,568 parameters each with ``mlp_channels=256``.

    Args:
        in_channels: channels ``C_l`` of each feature layer, in order.
        num_patches: positions sampled per layer and image (CUT/DCD: 256).
        mlp_channels: width ``D`` of both MLP layers (CUT/DCD: 256).
        use_mlp: project with the MLPs; ``False`` samples and normalises
            only (CUT's ``netF='sample'``), and the head has no parameters.
        init_type: weight initialisation of the linear layers, one of
            ``'normal'``, ``'xavier'`` (CUT/DCD), ``'kaiming'``,
            ``'orthogonal'``; biases start at zero.
        init_gain: gain of the initialisation (CUT/DCD: 0.02).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 num_patches: int = 256,
                 mlp_channels: int = 256,
                 use_mlp: bool = True,
                 init_type: str = 'xavier',
                 init_gain: float = 0.02):
        super().__init__()
        if isinstance(in_channels, int):
            in_channels = [in_channels]
        if not in_channels:
            raise ValueError('PatchSampleMLP: in_channels is empty')
        if num_patches < 0:
            raise ValueError(
                f'PatchSampleMLP: num_patches must be >= 0, got {num_patches}')
        if init_type not in INIT_TYPES:
            raise ValueError(f'PatchSampleMLP: init_type must be one of '
                             f'{INIT_TYPES}, got {init_type!r}')
        self.in_channels = [int(c) for c in in_channels]
        self.num_patches = num_patches
        self.mlp_channels = mlp_channels
        self.use_mlp = use_mlp
        self.mlps = nn.ModuleList()
        if use_mlp:
            for channels in self.in_channels:
                mlp = nn.Sequential(
                    nn.Linear(channels, mlp_channels), nn.ReLU(),
                    nn.Linear(mlp_channels, mlp_channels))
                init_gan_weights(mlp, init_type, init_gain)
                self.mlps.append(mlp)

    @property
    def out_channels(self) -> List[int]:
        """Width ``D`` of each layer's samples."""
        if self.use_mlp:
            return [self.mlp_channels] * len(self.in_channels)
        return list(self.in_channels)

    @staticmethod
    def draw_ids(num_positions: int, num_patches: int,
                 device: torch.device,
                 generator: Optional[torch.Generator] = None
                 ) -> torch.Tensor:
        """``min(num_patches, num_positions)`` distinct positions, uniformly
        at random (all positions in order when ``num_patches`` is 0)."""
        if num_patches == 0:
            return torch.arange(num_positions, device=device)
        if generator is not None:
            # randperm draws on the generator's device.
            perm = torch.randperm(num_positions, generator=generator,
                                  device=generator.device).to(device)
        else:
            perm = torch.randperm(num_positions, device=device)
        return perm[:num_patches]

    def forward(self,
                features: Sequence[torch.Tensor],
                num_patches: Optional[int] = None,
                patch_ids: Optional[Sequence[torch.Tensor]] = None,
                generator: Optional[torch.Generator] = None
                ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Sample, project and normalise the patches of each layer.

        Args:
            features: one ``N×C_l×H_l×W_l`` map per layer (``in_channels``).
            num_patches: positions per layer (default: the module's);
                ignored for layers whose ``patch_ids`` are given.
            patch_ids: per-layer 1-D position indices into ``H_l·W_l``, e.g.
                the ids returned for the key, so that the query is sampled
                at the same positions.
            generator: optional ``torch.Generator`` for the random ids.

        Returns:
            ``(samples, ids)``: per layer, the ``(N·P)×D`` L2-normalised
            samples (image-major rows) and the ``P`` position ids used.
        """
        if isinstance(features, torch.Tensor):
            features = [features]
        if len(features) != len(self.in_channels):
            raise ValueError(
                f'PatchSampleMLP: {len(features)} feature layers for '
                f'{len(self.in_channels)} in_channels')
        if patch_ids is not None and len(patch_ids) != len(features):
            raise ValueError(
                f'PatchSampleMLP: {len(patch_ids)} patch_ids for '
                f'{len(features)} feature layers')
        num_patches = self.num_patches if num_patches is None else \
            num_patches
        samples, ids = [], []
        for index, feat in enumerate(features):
            if feat.dim() != 4 or feat.shape[1] != self.in_channels[index]:
                raise ValueError(
                    f'PatchSampleMLP: layer {index} expects N×'
                    f'{self.in_channels[index]}×H×W features, got '
                    f'{tuple(feat.shape)}')
            n, c, h, w = feat.shape
            flat = feat.permute(0, 2, 3, 1).reshape(n, h * w, c)
            if patch_ids is not None:
                layer_ids = torch.as_tensor(patch_ids[index],
                                            dtype=torch.long,
                                            device=feat.device)
            else:
                layer_ids = self.draw_ids(h * w, num_patches, feat.device,
                                          generator)
            picked = flat[:, layer_ids, :].reshape(-1, c)  # (N·P)×C
            if self.use_mlp:
                picked = self.mlps[index](picked)
            norm = picked.norm(p=2, dim=1, keepdim=True)
            samples.append(picked / (norm + 1e-7))
            ids.append(layer_ids)
        return samples, ids
