"""Pixel losses: L1, MSE, Charbonnier and MPRNet's edge loss.

Each returns the *weighted* loss (``loss_weight`` × mean over all elements).
"""
import torch
import torch.nn.functional as F
from torch import nn

from toolbox.registry import LOSSES


class _WeightedLoss(nn.Module):
    """Holds ``loss_weight``; subclasses implement ``_loss``."""

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                **kwargs) -> torch.Tensor:
        """Weighted loss between ``pred`` and ``target`` (same shape)."""
        if pred.shape != target.shape:
            raise ValueError(f'{type(self).__name__}: pred {tuple(pred.shape)}'
                             f' and target {tuple(target.shape)} differ')
        return self.loss_weight * self._loss(pred, target)


@LOSSES.register_module()
class L1Loss(_WeightedLoss):
    """Mean absolute error, ``mean |pred - target|``."""

    def _loss(self, pred, target):
        return F.l1_loss(pred, target)


@LOSSES.register_module()
class MSELoss(_WeightedLoss):
    """Mean squared error, ``mean (pred - target)^2``."""

    def _loss(self, pred, target):
        return F.mse_loss(pred, target)


@LOSSES.register_module()
class CharbonnierLoss(_WeightedLoss):
    """Charbonnier loss of MPRNet (Zamir et al., CVPR 2021, Eq. 2):
    ``mean sqrt((pred - target)^2 + eps^2)`` with ``eps = 1e-3``.

    The paper writes ``sqrt(||X - Y||^2 + eps^2)``; like the official
    ``losses.py`` it is taken per element and averaged. MPRNet's total loss
    (Eq. 1) sums this and ``0.05 × EdgeLoss`` over the three stage outputs,
    which ``Restorer(stage_loss='sum')`` does.

    Args:
        loss_weight: weight of the loss.
        eps: the Charbonnier constant ε.
    """

    def __init__(self, loss_weight: float = 1.0, eps: float = 1e-3):
        super().__init__(loss_weight)
        self.eps = eps

    def _loss(self, pred, target):
        diff = pred - target
        return torch.sqrt(diff * diff + self.eps * self.eps).mean()


@LOSSES.register_module()
class EdgeLoss(CharbonnierLoss):
    """MPRNet's edge loss (Zamir et al., CVPR 2021, Eq. 3):
    ``Charbonnier(Δ(pred), Δ(target))`` with Δ the Laplacian, computed as in
    the official code as the image minus its Gaussian-blurred,
    downsampled-and-upsampled copy (one Laplacian-pyramid level, 5×5 binomial
    kernel, replicate padding). As released, the replicate padding of the
    zero-inserted upsampled image makes the 2-pixel border respond even for
    flat images; both arguments get the same treatment, so this only
    weights border pixels a little differently.

    Args:
        loss_weight: weight of the loss (MPRNet: 0.05).
        eps: the Charbonnier constant ε.
    """

    def __init__(self, loss_weight: float = 1.0, eps: float = 1e-3):
        super().__init__(loss_weight, eps)
        binomial = torch.tensor([0.05, 0.25, 0.4, 0.25, 0.05])
        kernel = torch.outer(binomial, binomial)
        self.register_buffer('kernel', kernel[None, None], persistent=False)

    def _blur(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.shape[1]
        weight = self.kernel.to(x.dtype).expand(channels, 1, 5, 5)
        return F.conv2d(F.pad(x, (2, 2, 2, 2), mode='replicate'), weight,
                        groups=channels)

    def laplacian(self, x: torch.Tensor) -> torch.Tensor:
        """One Laplacian-pyramid level of ``x``."""
        filtered = self._blur(x)
        upsampled = torch.zeros_like(filtered)
        upsampled[:, :, ::2, ::2] = filtered[:, :, ::2, ::2] * 4
        return x - self._blur(upsampled)

    def _loss(self, pred, target):
        return super()._loss(self.laplacian(pred), self.laplacian(target))
