"""Patch-wise contrastive loss (PatchNCE) of CUT and DCD-GAN.

Chen et al., "Unpaired Deep Image Deraining Using Dual Contrastive
Learning" (DCD-GAN, CVPR 2022), Eq. (2) (Eq. (1) is the rain model
``O = B + R``), after Park et al.'s CUT (ECCV 2020, Eq. 2-3)::

    L_con(v, v⁺, {v⁻_j}) = -log( exp(s(v, v⁺)/τ)
                                 / (exp(s(v, v⁺)/τ) + Σ_j exp(s(v, v⁻_j)/τ)) )

with ``v`` a query patch code, ``v⁺`` the key code at the same position,
``v⁻_j`` the negative codes, ``s`` the cosine similarity and τ = 0.07,
averaged over the sampled patches and then over the encoder layers.

The codes come from :class:`~toolbox.models.heads.PatchSampleMLP`. Which
codes are negatives is the ``negatives`` option (see
:func:`patch_negative_mask`); the loss itself is the toolbox's InfoNCE core
:func:`~toolbox.models.losses.contrastive.info_nce`, given the negatives
matrix and a mask saying which of them count for which query.
"""
from typing import List, Optional, Sequence, Union

import torch
from torch import nn

from toolbox.models.losses.contrastive import info_nce
from toolbox.registry import LOSSES

NEGATIVE_MODES = ('internal', 'external', 'both', 'released')
Layers = Union[torch.Tensor, Sequence[torch.Tensor]]


def patch_negative_mask(num_samples: int,
                        batch_size: Optional[int] = None,
                        negatives: str = 'both',
                        num_external: int = 0,
                        device=None) -> torch.Tensor:
    """Which negatives count for which query patch.

    The negatives matrix of :class:`PatchNCELoss` is the ``S = N·P`` key
    codes (image-major rows: row ``n·P + p`` is patch ``p`` of image ``n``)
    followed by ``M = num_external`` external codes. Returns the
    ``S × (S + M)`` bool mask, True where negative ``j`` counts for query
    ``i``. The positive itself (key ``i``) never counts. Per query:

    * ``'internal'``: the other ``P - 1`` patches of the same image (CUT's
      default, the paper's "255 internal"); external codes are ignored;
    * ``'external'``: the ``(N - 1)·P`` patches of the other images of the
      batch and the ``M`` external codes (the paper's "256 external"
      when ``M = 256``);
    * ``'both'``: the union, ``N·P - 1 + M`` (the paper's 255 + 256 at
      batch 1 with 256 external codes);
    * ``'released'``: the official DCD-GAN code: every other sampled patch
      of the batch, ``N·P - 1``, without the per-image reshape (at batch 1
      this is ``'internal'``); external codes are ignored. This is
      ``'both'`` without external codes.

    Ignored external codes keep their columns, all False, so the mask's
    shape does not depend on the option.

    Args:
        num_samples: ``S = N·P``, the rows of the query/key codes.
        batch_size: ``N``; needed for ``'internal'`` and ``'external'``.
        negatives: one of ``'internal'``, ``'external'``, ``'both'``,
            ``'released'``.
        num_external: ``M``, the rows of the external codes.
        device: device of the mask.
    """
    if negatives not in NEGATIVE_MODES:
        raise ValueError(f'negatives must be one of {NEGATIVE_MODES}, got '
                         f'{negatives!r}')
    rows = torch.arange(num_samples, device=device)
    not_self = rows[:, None] != rows[None, :]
    if negatives in ('both', 'released'):
        key_mask = not_self
    else:
        if batch_size is None:
            raise ValueError(
                f"negatives={negatives!r} needs the batch size N to tell "
                'the patches of each image apart; pass batch_size')
        if batch_size < 1 or num_samples % batch_size:
            raise ValueError(
                f'{num_samples} patch codes do not split into batch_size='
                f'{batch_size} images')
        image = rows // (num_samples // batch_size)
        same_image = image[:, None] == image[None, :]
        key_mask = (same_image & not_self) if negatives == 'internal' \
            else ~same_image
    external = torch.full((num_samples, num_external),
                          negatives in ('external', 'both'),
                          dtype=torch.bool, device=device)
    return torch.cat([key_mask, external], dim=1)


def _as_layers(x, what: str) -> List[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return list(x)
    raise TypeError(f'PatchNCELoss: {what} must be a tensor or a list of '
                    f'tensors (one per layer), got {type(x).__name__}')


@LOSSES.register_module()
class PatchNCELoss(nn.Module):
    """PatchNCE, DCD-GAN Eq. (2): contrast each query patch with its key.

    ``forward(query, key, batch_size=None, external_negatives=None)``:

    * ``query``, ``key``: the ``(N·P)×D`` codes of one layer, or a list of
      them (one per layer), as :class:`PatchSampleMLP` returns them, the
      query sampled at the key's ``patch_ids`` so row ``i`` of both is the
      same position of the same image. The key is detached (CUT, DCD):
      only the query side, its generator and its projection head, learn
      from this loss.
    * ``batch_size``: ``N``, to tell the images apart (``'internal'`` and
      ``'external'``).
    * ``external_negatives``: optional extra negatives, ``M×D`` (or a list
      per layer), e.g. the other CGB side's patch codes of the same layer;
      used by ``'external'`` and ``'both'``, ignored by ``'internal'`` and
      ``'released'`` (so an ablation is a config switch of ``negatives``).
      Detached when ``detach_external`` (default).

    Returns ``loss_weight × (1/L) Σ_l mean_i L_con(q_i, k_i, negatives)``:
    per layer the mean over the query patches (those with at least one
    negative; a layer with none contributes a zero that stays attached to
    the graph), then the mean over the ``L`` layers, as CUT's
    ``total_nce_loss / n_layers``.

    Similarity: :func:`info_nce` takes the cosine similarity, i.e. it
    normalises the codes again. They are already L2-normalised by the
    sampler (``x / (‖x‖ + 1e-7)``), so this is CUT's plain dot product
    ``q·k`` up to that ε (which matters a little early on: at CUT's
    initialisation, gain 0.02, the MLP outputs are ~1e-4 long and their
    codes' norms ~0.999; the cosine ignores it). It computes in float32
    (also under autocast) with the differences ``s(q, n) - s(q, k)`` taken
    before dividing by τ.
    Excluded negatives (the positive itself, other images for
    ``'internal'``) are masked to ``-inf``; CUT and DCD fill the diagonal
    with ``-10`` before ``/τ``, which differs by ``exp(-10/0.07) ≈ 1e-62``.

    Args:
        loss_weight: weight of the loss (λ of the contrastive term of
            DCD-GAN's Eq. 6; see ``docs/methods/dcdgan.md``).
        temperature: τ (paper and code: 0.07).
        negatives: which codes are negatives, see
            :func:`patch_negative_mask`: ``'both'`` (default; the paper's
            internal + external), ``'internal'`` (CUT), ``'external'``,
            ``'released'`` (the official DCD-GAN code).
        detach_external: stop gradients through ``external_negatives``.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 temperature: float = 0.07,
                 negatives: str = 'both',
                 detach_external: bool = True):
        super().__init__()
        if temperature <= 0:
            raise ValueError(
                f'PatchNCELoss: temperature must be > 0, got {temperature}')
        if negatives not in NEGATIVE_MODES:
            raise ValueError(f'PatchNCELoss: negatives must be one of '
                             f'{NEGATIVE_MODES}, got {negatives!r}')
        self.loss_weight = loss_weight
        self.temperature = temperature
        self.negatives = negatives
        self.detach_external = detach_external

    @property
    def uses_external_negatives(self) -> bool:
        """Whether ``external_negatives`` enter the loss (a model can skip
        computing them otherwise)."""
        return self.negatives in ('external', 'both')

    def negative_mask(self, num_samples: int,
                      batch_size: Optional[int] = None,
                      num_external: int = 0, device=None) -> torch.Tensor:
        """The ``S × (S + M)`` mask of this loss's ``negatives`` option
        (see :func:`patch_negative_mask`)."""
        return patch_negative_mask(num_samples, batch_size, self.negatives,
                                   num_external, device)

    def layer_loss(self, query: torch.Tensor, key: torch.Tensor,
                   batch_size: Optional[int] = None,
                   external: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Unweighted Eq. (2) of one layer, mean over the query patches."""
        if query.dim() != 2 or query.shape != key.shape:
            raise ValueError(
                f'PatchNCELoss: query {tuple(query.shape)} and key '
                f'{tuple(key.shape)} must be the same (N·P)×D')
        key = key.detach()
        negatives = key
        num_external = 0
        if external is not None and self.uses_external_negatives:
            if external.dim() != 2 or external.shape[1] != key.shape[1]:
                raise ValueError(
                    f'PatchNCELoss: external_negatives '
                    f'{tuple(external.shape)} must be M×{key.shape[1]}')
            if self.detach_external:
                external = external.detach()
            negatives = torch.cat([key, external.to(key.dtype)])
            num_external = external.shape[0]
        mask = self.negative_mask(query.shape[0], batch_size, num_external,
                                  query.device)
        per_query, has_negative = info_nce(query, key, negatives,
                                           self.temperature, mask)
        if has_negative.any():
            return per_query[has_negative].mean()
        return 0.0 * query.float().sum()  # nothing to contrast

    def forward(self,
                query: Layers,
                key: Layers,
                batch_size: Optional[int] = None,
                external_negatives: Optional[Layers] = None,
                **kwargs) -> torch.Tensor:
        """Weighted Eq. (2), averaged over the layers (see the class)."""
        queries = _as_layers(query, 'query')
        keys = _as_layers(key, 'key')
        if len(queries) != len(keys) or not queries:
            raise ValueError(f'PatchNCELoss: {len(queries)} query and '
                             f'{len(keys)} key layers; they must pair up')
        if external_negatives is None:
            externals = [None] * len(queries)
        else:
            externals = _as_layers(external_negatives, 'external_negatives')
            if len(externals) != len(queries):
                raise ValueError(
                    f'PatchNCELoss: {len(externals)} external_negatives '
                    f'layers for {len(queries)} query layers')
        total = 0.0
        for q, k, ext in zip(queries, keys, externals):
            total = total + self.layer_loss(q, k, batch_size, ext)
        return self.loss_weight * total / len(queries)


__all__ = ['PatchNCELoss', 'patch_negative_mask', 'NEGATIVE_MODES']
