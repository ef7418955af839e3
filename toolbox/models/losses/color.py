"""Colour (per-channel) cycle-consistency loss of DCD-GAN.

Chen et al., "Unpaired Deep Image Deraining Using Dual Contrastive
Learning" (DCD-GAN, CVPR 2022), Eq. (3), the colour cycle-consistency
loss::

    L_cc = Σ_{c ∈ {R,G,B}} ‖G_B(G_A(x))^c - x^c‖₁ + ‖G_A(G_B(y))^c - y^c‖₁

for a rainy image ``x`` and an unpaired clean image ``y``. One call of
:class:`ColorCycleLoss` is one of the two terms (``pred`` = the cycle
reconstruction, ``target`` = the input); the model adds both directions.
"""
import torch
from torch import nn

from toolbox.registry import LOSSES

FORMS = ('paper', 'released')


@LOSSES.register_module()
class ColorCycleLoss(nn.Module):
    """DCD-GAN's colour cycle-consistency loss, Eq. (3), one direction.

    ``forward(pred, target)`` with ``N×C×H×W`` tensors (``C = 3``, RGB)::

        form='paper':     Σ_c mean|pred_c - target_c|
        form='released':  Σ_c mean|pred_c - target_c| + mean|pred - target|

    each ``mean`` over the elements of its tensor (``N×H×W`` for one
    channel), as the official code's ``nn.L1Loss()`` does, times
    ``loss_weight``. ``'released'`` is the "L1" term of the official code
    (``compute_G_loss``: the three channel L1 losses plus the whole-image
    L1), which that code computes but never adds to the generator loss
    (and there on the unpaired pair ``G_A(x)``, ``y``).

    Note: with the channel norms taken as means over equal-size channels,
    ``Σ_c mean|pred_c - target_c| = C · mean|pred - target|``: the paper's
    form is exactly 3 × the ordinary L1 cycle loss (and ``'released'`` 4 ×),
    same gradient direction, only the scale differs (also asked in the
    official repository's issue #5). Both are implemented per channel as
    written, so any other channel count or a per-channel weighting stays
    faithful.

    Args:
        loss_weight: weight of the loss (λ of the colour cycle term of
            DCD-GAN's Eq. 6).
        form: ``'paper'`` (default, Eq. 3) or ``'released'``.
    """

    def __init__(self, loss_weight: float = 1.0, form: str = 'paper'):
        super().__init__()
        if form not in FORMS:
            raise ValueError(
                f'ColorCycleLoss: form must be one of {FORMS}, got {form!r}')
        self.loss_weight = loss_weight
        self.form = form

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                **kwargs) -> torch.Tensor:
        """Weighted Eq. (3) between ``pred`` and ``target`` (same shape)."""
        if pred.shape != target.shape or pred.dim() != 4:
            raise ValueError(
                f'ColorCycleLoss: pred {tuple(pred.shape)} and target '
                f'{tuple(target.shape)} must be the same N×C×H×W')
        diff = (pred - target).abs()
        loss = diff.mean(dim=(0, 2, 3)).sum()  # Σ_c of per-channel L1
        if self.form == 'released':
            loss = loss + diff.mean()
        return self.loss_weight * loss


__all__ = ['ColorCycleLoss']
