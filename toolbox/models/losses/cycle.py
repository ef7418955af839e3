"""Cycle-consistency and identity losses of CycleGAN (Zhu et al., ICCV 2017).

Both are L1 distances; they are separate registered classes (subclasses of
:class:`~toolbox.models.losses.pixel.L1Loss`, same arithmetic) so that a
config says which term it means, the logs name it (``Restorer``-style
derived names give ``loss_cycle_consistency`` and ``loss_identity``), and the
paper's definition sits next to the code. DCD-GAN's per-channel "colour"
cycle loss (its Eq. 3) is a different formula and is not this class.
"""
from toolbox.registry import LOSSES

from .pixel import L1Loss


@LOSSES.register_module()
class CycleConsistencyLoss(L1Loss):
    """Cycle-consistency loss, CycleGAN Eq. (2), one direction::

        L_cyc = E_x ‖F(G(x)) − x‖₁

    called as ``loss(reconstruction, original)`` (mean absolute error over
    all elements, times ``loss_weight``). CycleGAN adds both directions,
    ``x → G(x) → F(G(x))`` and ``y → F(y) → G(F(y))``, each with weight
    λ = 10 (``lambda_A``, ``lambda_B``): one instance per direction, or one
    called twice.
    """


@LOSSES.register_module()
class IdentityLoss(L1Loss):
    """Identity-mapping loss of CycleGAN (Sec. 5.2, after Taigman et al.)::

        L_identity = E_y ‖G(y) − y‖₁

    called as ``loss(G(y), y)``: a generator fed an image of its *target*
    domain should leave it unchanged (this preserves colour composition).
    In the official code its weight is ``lambda_identity × lambda_B`` for
    ``G_A`` (0.5 × 10 = 5 by default) and ``lambda_identity × lambda_A`` for
    ``G_B``; set ``loss_weight`` to that product. DCD-GAN uses weight 1
    (``lambda_IDT``) and averages the two directions.
    """
