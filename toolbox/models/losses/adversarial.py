"""Adversarial losses of CycleGAN, CUT and DCD-GAN.

With ``D(·)`` the discriminator's logits (any shape, averaged over all
elements), ``r``/``f`` the real/fake labels (1 and 0 by default):

* ``'lsgan'`` (least squares, Mao et al. 2017; CycleGAN's choice, its
  Eq. 1 with the squared loss of Sec. 4)::

      D, real: mean (D(y) - r)²     D, fake: mean (D(G(x)) - f)²
      G:       mean (D(G(x)) - r)²

* ``'vanilla'`` (Goodfellow et al. 2014, non-saturating generator): binary
  cross-entropy on the logits, ``BCE(σ(D), label)``, with the same targets.
* ``'hinge'`` (Lim & Ye 2017; the default of DCD-GAN's code, whose
  Eq. (4) writes the adversarial loss in the log form)::

      D, real: mean relu(1 - D(y))   D, fake: mean relu(1 + D(G(x)))
      G:       -mean D(G(x))           (hinge_generator='standard')
      G:       mean relu(1 - D(G(x)))  (hinge_generator='dcdgan')

  ``'dcdgan'`` is what DCD-GAN's released code optimises: its generator
  calls the loss with the *real* label, which in its hinge branch is
  ``-mean(min(D(G(x)) - 1, 0))``, i.e. the discriminator's real-side hinge.
  Unlike ``-mean D``, it stops pushing once ``D(G(x)) ≥ 1``.

The discriminator's loss in all three papers is the mean of the real and
fake terms, ``½ (L_real + L_fake)`` ("we divide the objective by 2 while
optimizing D", CycleGAN Sec. 4): :meth:`GANLoss.discriminator_loss`.
"""
from typing import Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from toolbox.user_errors import choice_error
from toolbox.registry import LOSSES

Predictions = Union[torch.Tensor, Sequence[torch.Tensor]]
GAN_TYPES = ('lsgan', 'vanilla', 'hinge')
HINGE_GENERATOR_FORMS = ('standard', 'dcdgan')


@LOSSES.register_module()
class GANLoss(nn.Module):
    """Adversarial loss for either side of a GAN (formulas in the module
    docstring).

    Call it as ``loss(pred, target_is_real, is_disc=False)``:

    * the discriminator: ``loss(D(real), True, is_disc=True)`` and
      ``loss(D(fake.detach()), False, is_disc=True)``, or both at once with
      :meth:`discriminator_loss` (which halves their sum, as released);
    * the generator: ``loss(D(fake), True)`` or :meth:`generator_loss`.

    ``pred`` may be a tensor or a list/tuple of tensors (one per scale of a
    multi-scale discriminator): the loss is then the mean of the per-tensor
    losses. Computed in float32.

    Args:
        gan_type: ``'lsgan'``, ``'vanilla'`` or ``'hinge'``.
        real_label, fake_label: targets of ``'lsgan'`` and ``'vanilla'``
            (e.g. 0.9 for one-sided label smoothing); ``'hinge'`` has fixed
            margins and ignores them.
        loss_weight: λ_GAN. It scales the **generator's** loss only
            (``is_disc=False``), as the GAN weight does in CUT and DCD-GAN
            (``lambda_GAN``) and in MMagic; the discriminator's loss is never
            weighted in these papers.
        hinge_generator: the generator's hinge form, ``'standard'``
            (``-mean D``) or ``'dcdgan'`` (``mean relu(1 - D)``, DCD-GAN's
            released code); only used with ``gan_type='hinge'``.
    """

    def __init__(self,
                 gan_type: str = 'lsgan',
                 real_label: float = 1.0,
                 fake_label: float = 0.0,
                 loss_weight: float = 1.0,
                 hinge_generator: str = 'standard'):
        super().__init__()
        if gan_type not in GAN_TYPES:
            raise choice_error('GANLoss', 'gan_type', gan_type, GAN_TYPES)
        if hinge_generator not in HINGE_GENERATOR_FORMS:
            raise choice_error('GANLoss', 'hinge_generator', hinge_generator,
                               HINGE_GENERATOR_FORMS)
        self.gan_type = gan_type
        self.real_label, self.fake_label = real_label, fake_label
        self.loss_weight = loss_weight
        self.hinge_generator = hinge_generator

    def _single(self, pred: torch.Tensor, target_is_real: bool,
                is_disc: bool) -> torch.Tensor:
        pred = pred.float()
        if self.gan_type == 'hinge':
            if is_disc:
                margin = 1 - pred if target_is_real else 1 + pred
                return F.relu(margin).mean()
            if not target_is_real:
                raise ValueError(
                    "GANLoss('hinge'): the generator's loss is defined for "
                    'target_is_real=True only')
            if self.hinge_generator == 'dcdgan':
                return F.relu(1 - pred).mean()
            return -pred.mean()
        label = self.real_label if target_is_real else self.fake_label
        target = torch.full_like(pred, label)
        if self.gan_type == 'lsgan':
            return F.mse_loss(pred, target)
        return F.binary_cross_entropy_with_logits(pred, target)

    def forward(self, pred: Predictions, target_is_real: bool,
                is_disc: bool = False) -> torch.Tensor:
        """The loss of ``pred`` against the real or fake target.

        Args:
            pred: discriminator logits, a tensor or a list of tensors.
            target_is_real: whether the target is "real" (True for real
                images on the discriminator side, and for the generator).
            is_disc: the discriminator's loss (unweighted) rather than the
                generator's (times ``loss_weight``).
        """
        if isinstance(pred, torch.Tensor):
            loss = self._single(pred, target_is_real, is_disc)
        else:
            if len(pred) == 0:
                raise ValueError('GANLoss: empty list of predictions')
            loss = sum(self._single(p, target_is_real, is_disc)
                       for p in pred) / len(pred)
        return loss if is_disc else loss * self.loss_weight

    def discriminator_loss(self, pred_real: Predictions,
                           pred_fake: Predictions) -> torch.Tensor:
        """``½ (L(D(real), real) + L(D(fake), fake))``: the discriminator's
        loss as CycleGAN, CUT and DCD-GAN optimise it (the fake images
        should be detached, or come from an ``ImagePool``)."""
        return 0.5 * (self(pred_real, True, is_disc=True) +
                      self(pred_fake, False, is_disc=True))

    def generator_loss(self, pred_fake: Predictions) -> torch.Tensor:
        """``loss_weight · L(D(G(x)), real)``: the generator's loss."""
        return self(pred_fake, True, is_disc=False)

    def extra_repr(self) -> str:
        extra = f', hinge_generator={self.hinge_generator!r}' \
            if self.gan_type == 'hinge' else ''
        return (f'gan_type={self.gan_type!r}, real_label={self.real_label}, '
                f'fake_label={self.fake_label}, '
                f'loss_weight={self.loss_weight}{extra}')
