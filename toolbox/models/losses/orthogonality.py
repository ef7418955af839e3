"""Spectral value difference orthogonality (SVDO) of FDR-Net.

Li et al., "Learning Disentangled Feature Representation for
Hybrid-distorted Image Restoration" (FDR-Net, ECCV 2020), Eq. (5), after
Chen et al.'s ABD-Net (ICCV 2019)::

    Loss_F = ‖λ₁(FFᵀ) − λ₂(FFᵀ)‖²₂

with ``F`` the ``C×HW`` feature map of an image (channels as rows) and
λ₁, λ₂ the largest and smallest eigenvalues of the ``C×C`` Gram matrix.
The two are equal when ``FFᵀ`` is a multiple of the identity: channels
orthogonal to each other, with equal energy. FDR-Net applies it to the
output of the feature disentanglement module and adds it to the L1 loss
with weight β = 1e-5, Eq. (8).
"""
from typing import Sequence, Union

import torch
from torch import nn

from toolbox.registry import LOSSES

GRAM_NORMS = ('reference', 'mean', 'none')
PHASE_REDUCTIONS = ('mean', 'sum')


def channel_gram(feat: torch.Tensor) -> torch.Tensor:
    """``F Fᵀ`` per image: ``N×C×H×W`` → ``N×C×C``, in float32 (float64
    stays float64) with autocast off."""
    with torch.autocast(device_type=feat.device.type, enabled=False):
        f = feat if feat.dtype == torch.float64 else feat.float()
        f = f.flatten(2)
        return f @ f.transpose(1, 2)


def spectral_gap_squared(gram: torch.Tensor) -> torch.Tensor:
    """``(λ_max − λ_min)²`` of each symmetric matrix of a ``N×C×C`` batch
    (``torch.linalg.eigvalsh``, float32 or float64, autocast off)."""
    with torch.autocast(device_type=gram.device.type, enabled=False):
        eig = torch.linalg.eigvalsh(gram)  # ascending
        return (eig[:, -1] - eig[:, 0]).pow(2)


@LOSSES.register_module()
class SVDOLoss(nn.Module):
    """FDR-Net's SVDO loss, Eq. (5), on one feature map or averaged over a
    list of them (the FDM output of every phase).

    ``forward(features)``: an ``N×C×H×W`` tensor, or a list/tuple of them
    (one per phase). Each image's Gram matrix ``G = F Fᵀ`` (``C×C``) gives
    ``(λ_max(G) − λ_min(G))²`` (``torch.linalg.eigvalsh`` in float32 even
    under autocast); the value is the mean over the images of the batch,
    then the mean (``phase_reduction='mean'``) or sum over the list.

    The paper's ``F Fᵀ`` sums over the ``H·W`` pixels, so its eigenvalues
    grow with the crop and the loss with its square: the same β weighs the
    term 16× more at 126² than at 63² crops. ``gram_norm`` says how ``G``
    is scaled:

    * ``'reference'`` (default): ``G = F Fᵀ · (reference_size² / (H·W))``,
      the per-pixel Gram matrix brought to the scale of a
      ``reference_size²`` crop: the value no longer depends on the crop
      size and equals the paper's at the paper's 63×63 training patches,
      so the paper's β = 1e-5 keeps its meaning at any crop size;
    * ``'mean'``: ``G = F Fᵀ / (H·W)`` (second moments; the value is
      ``(63²)² ≈ 1.6e7`` times smaller than the paper's at 63²);
    * ``'none'``: ``G = F Fᵀ``, the paper's unscaled form.

    Args:
        loss_weight: β of Eq. (8) (FDR-Net: 1e-5).
        gram_norm: ``'reference'``, ``'mean'`` or ``'none'`` (above).
        reference_size: the crop side of ``'reference'`` (63, FDR-Net's
            training patches).
        phase_reduction: ``'mean'`` (default) or ``'sum'`` over a list.

    Through :class:`~toolbox.models.algorithms.loss_routing.RoutedLosses`
    it receives a list output whole (``takes_sequences``), so a route
    ``inputs=('fdm',)`` averages over the phases instead of summing.
    """

    #: RoutedLosses passes list-valued outputs to this loss whole.
    takes_sequences = True

    def __init__(self, loss_weight: float = 1.0, gram_norm: str = 'reference',
                 reference_size: int = 63, phase_reduction: str = 'mean'):
        super().__init__()
        if gram_norm not in GRAM_NORMS:
            raise ValueError(f'SVDOLoss: gram_norm must be one of '
                             f'{GRAM_NORMS}, got {gram_norm!r}')
        if phase_reduction not in PHASE_REDUCTIONS:
            raise ValueError(f'SVDOLoss: phase_reduction must be one of '
                             f'{PHASE_REDUCTIONS}, got {phase_reduction!r}')
        if reference_size <= 0:
            raise ValueError(f'SVDOLoss: reference_size must be > 0, got '
                             f'{reference_size}')
        self.loss_weight = loss_weight
        self.gram_norm = gram_norm
        self.reference_size = reference_size
        self.phase_reduction = phase_reduction

    def gram(self, feat: torch.Tensor) -> torch.Tensor:
        """The scaled Gram matrices ``N×C×C`` of one feature map."""
        if feat.dim() != 4:
            raise ValueError(f'SVDOLoss takes N×C×H×W features, got '
                             f'{tuple(feat.shape)}')
        gram = channel_gram(feat)
        pixels = feat.shape[2] * feat.shape[3]
        if self.gram_norm == 'reference':
            gram = gram * (self.reference_size**2 / pixels)
        elif self.gram_norm == 'mean':
            gram = gram / pixels
        return gram

    def single(self, feat: torch.Tensor) -> torch.Tensor:
        """Unweighted Eq. (5) of one feature map, averaged over images."""
        return spectral_gap_squared(self.gram(feat)).mean()

    def forward(self, features: Union[torch.Tensor, Sequence[torch.Tensor]],
                **kwargs) -> torch.Tensor:
        """Weighted Eq. (5) of ``features`` (a tensor or a list of them)."""
        if isinstance(features, torch.Tensor):
            features = [features]
        if not features:
            raise ValueError('SVDOLoss: got an empty list of features (does '
                             'the network have an FDM?)')
        values = torch.stack([self.single(f) for f in features])
        total = values.mean() if self.phase_reduction == 'mean' else \
            values.sum()
        return self.loss_weight * total


__all__ = ['SVDOLoss', 'channel_gram', 'spectral_gap_squared']
