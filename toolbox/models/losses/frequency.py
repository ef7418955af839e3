"""Frequency (Fourier-spectrum) loss of DCD-GAN.

Chen et al., "Unpaired Deep Image Deraining Using Dual Contrastive
Learning" (DCD-GAN, CVPR 2022), Eq. (5)::

    L_fre = ‖F(pred) - F(target)‖₁

with ``F`` the one-sided (real-input) 2-D Fourier transform, to "preserve
the content and structure information of the image".
"""
import torch
from torch import nn

from toolbox.registry import LOSSES

FORMS = ('l1', 'released')
NORMS = ('backward', 'ortho', 'forward')


def rfft2_real_imag(x: torch.Tensor, norm: str = 'backward') -> torch.Tensor:
    """``torch.fft.rfft2`` over the last two dims, in float32, as real and
    imaginary parts in a trailing dim of 2 (``N×C×H×(W//2+1)×2``).

    Autocast is disabled and the input cast to float32: on CPU ``torch.fft``
    does not take bfloat16, and half-precision spectra lose the large
    low-frequency values anyway.
    """
    with torch.autocast(device_type=x.device.type, enabled=False):
        return torch.view_as_real(torch.fft.rfft2(x.float(), norm=norm))


@LOSSES.register_module()
class FrequencyLoss(nn.Module):
    """DCD-GAN's frequency loss, Eq. (5).

    ``forward(pred, target)`` with ``N×C×H×W`` tensors. With ``Z = rfft2(·)``
    per channel (one-sided along W, ``H×(W//2+1)`` coefficients) and
    ``Δ = Z(pred) - Z(target)`` split into real and imaginary parts:

    * ``form='l1'`` (default, the paper's ‖·‖₁):
      ``mean |Δ|`` over all ``N·C·H·(W//2+1)·2`` real and imaginary
      parts (the ℓ1 norm of the stacked parts, as the paper's "one-sided
      Fourier transform" then ‖·‖₁; not the modulus ``|Δ|`` of each
      complex coefficient);
    * ``form='released'``: the official code's ``FrequencyLoss`` (which
      that code computes but never adds to the generator loss):
      ``(1/N) Σ_n Σ_{c,h,w,re/im} Δ²``, a squared ℓ2 summed per image and
      averaged over the batch. It used ``torch.rfft(x, 2, onesided=True,
      normalized=False)``, which is ``torch.fft.rfft2(x, norm='backward')``.

    ``norm`` is ``torch.fft``'s normalisation: ``'backward'`` (default, no
    scaling of the forward transform, as the official code; the DC term is
    the sum of the ``H·W`` pixels, so the loss grows with the image size),
    ``'ortho'`` (``1/sqrt(H·W)``, the unitary transform: the loss no
    longer grows with the image size) or ``'forward'`` (``1/(H·W)``). The
    spectra are computed in float32 even under autocast; the loss is
    float32.

    Args:
        loss_weight: weight of the loss (λ of the frequency term of
            DCD-GAN's Eq. 6, 0.1 in the paper).
        form: ``'l1'`` or ``'released'``.
        norm: ``'backward'``, ``'ortho'`` or ``'forward'``.
    """

    def __init__(self, loss_weight: float = 1.0, form: str = 'l1',
                 norm: str = 'backward'):
        super().__init__()
        if form not in FORMS:
            raise ValueError(
                f'FrequencyLoss: form must be one of {FORMS}, got {form!r}')
        if norm not in NORMS:
            raise ValueError(
                f'FrequencyLoss: norm must be one of {NORMS}, got {norm!r}')
        self.loss_weight = loss_weight
        self.form = form
        self.norm = norm

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                **kwargs) -> torch.Tensor:
        """Weighted Eq. (5) between ``pred`` and ``target`` (same shape)."""
        if pred.shape != target.shape or pred.dim() != 4:
            raise ValueError(
                f'FrequencyLoss: pred {tuple(pred.shape)} and target '
                f'{tuple(target.shape)} must be the same N×C×H×W')
        diff = rfft2_real_imag(pred, self.norm) - \
            rfft2_real_imag(target, self.norm)
        if self.form == 'l1':
            loss = diff.abs().mean()
        else:
            loss = diff.pow(2).flatten(1).sum(dim=1).mean()
        return self.loss_weight * loss


__all__ = ['FrequencyLoss', 'rfft2_real_imag']
