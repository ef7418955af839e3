"""``CycleGAN``: unpaired image-to-image translation (Zhu et al., ICCV 2017).

Two generators translate between domain A (degraded, the dataset's
``img``) and domain B (clean, its unpaired ``ref``); two discriminators
judge real against translated images of their domain::

    L_G = L_GAN(G_a2b, D_b) + L_GAN(G_b2a, D_a)                  (Eq. 3)
        + λ_cyc (|G_b2a(G_a2b(a)) - a|_1 + |G_a2b(G_b2a(b)) - b|_1)  (Eq. 2)
        + λ_idt λ_cyc (|G_a2b(b) - b|_1 + |G_b2a(a) - a|_1)     (identity)
    L_D = ½ (L_GAN(D(real), 1) + L_GAN(D(pool(fake)), 0))   per discriminator

Names against the official code (pytorch-CycleGAN-and-pix2pix):
``generator_a2b`` is ``G_A``, ``generator_b2a`` is ``G_B``,
``discriminator_b`` (judges domain-B images, i.e. ``G_A``'s outputs) is
``D_A`` and ``discriminator_a`` is ``D_B``.
"""
from typing import Dict, Optional, Sequence

import torch

from toolbox.models.algorithms.base_gan import BaseGAN
from toolbox.models.algorithms.loss_routing import RoutedLosses
from toolbox.models.utils.image_pool import ImagePool
from toolbox.registry import MODELS, STATE_DICT_ADAPTERS
from toolbox.weights.adapters import StateDictAdapter
from toolbox.weights.mmagic import convert_mmagic_cyclegan, is_mmagic_cyclegan

DIRECTIONS = ('a2b', 'b2a')

#: The official recipe's cycle and identity terms: λ_A = λ_B = 10 and
#: λ_identity = 0.5 (identity weight 0.5 · 10).
DEFAULT_LOSSES = (
    dict(type='CycleConsistencyLoss', loss_weight=10.0, loss_name='cycle',
         inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
    dict(type='IdentityLoss', loss_weight=5.0,
         inputs=[('idt_a', 'real_a'), ('idt_b', 'real_b')]),
)


@MODELS.register_module()
class CycleGAN(BaseGAN):
    """Two generators, two discriminators, cycle consistency.

    Args:
        generator: config of both generators (e.g. ``ResnetGenerator``).
        discriminator: config of both discriminators (e.g.
            ``PatchGANDiscriminator``).
        gan_loss: the adversarial loss (``GANLoss``; the official recipe
            uses ``gan_type='lsgan'``).
        losses: the generator's other losses, routed to the named outputs
            ``real_a``, ``real_b``, ``fake_a`` (= G_b2a(b)), ``fake_b``
            (= G_a2b(a)), ``rec_a``, ``rec_b``, ``idt_a`` (= G_b2a(a)) and
            ``idt_b`` (= G_a2b(b)); default: the official cycle (10) and
            identity (5) L1 terms. The identity images are only computed
            when a loss names them, so dropping the identity loss also
            saves its two generator passes.
        generator_b2a, discriminator_a: configs of the second generator and
            discriminator when they differ from the first (default: same).
        pool_size: the image pools' size (official 50; 0 disables them).
        backward_cycle: run the backward cycle ``b -> G_b2a -> G_a2b``
            (default). ``False`` keeps the forward cycle only: no
            ``fake_a``/``rec_b`` outputs, no ``G_b2a`` adversarial term and
            no update of ``discriminator_a`` (DCD-GAN's Table 6 ablation);
            losses must then not route ``fake_a`` or ``rec_b``.
        data_preprocessor: the networks work in ``'[-1,1]'`` (tanh output).
        train_cfg: see :class:`BaseGAN`.
        test_cfg: ``direction`` (``'a2b'``, default, or ``'b2a'``) picks
            the generator ``predict`` and ``tools/infer.py`` run; ``tile``
            and ``tile_overlap`` as for every model.
        init_cfg: MMEngine weight initialisation config.
    """

    def __init__(self,
                 generator: dict,
                 discriminator: dict,
                 gan_loss: dict = dict(type='GANLoss', gan_type='lsgan'),
                 losses: Optional[Sequence[dict]] = DEFAULT_LOSSES,
                 generator_b2a: Optional[dict] = None,
                 discriminator_a: Optional[dict] = None,
                 pool_size: int = 50,
                 backward_cycle: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='RestorationDataPreprocessor',
                                     value_range='[-1,1]')
        super().__init__(data_preprocessor=data_preprocessor,
                         train_cfg=train_cfg, test_cfg=test_cfg,
                         init_cfg=init_cfg)
        direction = self.test_cfg.setdefault('direction', 'a2b')
        if direction not in DIRECTIONS:
            raise ValueError(f'test_cfg.direction must be one of '
                             f'{DIRECTIONS}, got {direction!r}')
        self.generator_a2b = MODELS.build(generator)
        self.generator_b2a = MODELS.build(generator_b2a or generator)
        self.discriminator_a = MODELS.build(discriminator_a or discriminator)
        self.discriminator_b = MODELS.build(discriminator)
        self.gan_loss = MODELS.build(gan_loss)
        self.losses = RoutedLosses(losses, default_inputs=())
        self.pool_a = ImagePool(pool_size)
        self.pool_b = ImagePool(pool_size)
        self.backward_cycle = bool(backward_cycle)

    @property
    def inference_network_name(self) -> str:
        return f'generator_{self.test_cfg["direction"]}'

    def _needs(self, name: str) -> bool:
        return any(name in route for key in self.losses
                   for route in self.losses.route_of(key))

    def prepare_batch(self, inputs: torch.Tensor,
                      data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """``real_a``: the inputs; ``real_b``: the unpaired ``ref_img``."""
        return dict(real_a=inputs,
                    real_b=self.data_preprocessor.stack_images(
                        data_samples, 'ref_img'))

    def generate(self, batch: dict) -> dict:
        real_a, real_b = batch['real_a'], batch['real_b']
        outputs = dict(real_a=real_a, real_b=real_b)
        outputs['fake_b'] = self.generator_a2b(real_a)
        outputs['rec_a'] = self.generator_b2a(outputs['fake_b'])
        if self.backward_cycle:
            outputs['fake_a'] = self.generator_b2a(real_b)
            outputs['rec_b'] = self.generator_a2b(outputs['fake_a'])
        if self._needs('idt_a'):
            outputs['idt_a'] = self.generator_b2a(real_a)
        if self._needs('idt_b'):
            outputs['idt_b'] = self.generator_a2b(real_b)
        return outputs

    def generator_losses(self, batch: dict,
                         outputs: dict) -> Dict[str, torch.Tensor]:
        losses = dict(loss_gan_a2b=self.gan_loss.generator_loss(
            self.discriminator_b(outputs['fake_b'])))
        if self.backward_cycle:
            losses['loss_gan_b2a'] = self.gan_loss.generator_loss(
                self.discriminator_a(outputs['fake_a']))
        losses.update(self.losses(outputs))
        return losses

    def discriminator_losses(self, batch: dict,
                             outputs: dict) -> Dict[str, torch.Tensor]:
        fake_b = self.pool_b.query(outputs['fake_b'])
        losses = dict(loss_disc_b=self.gan_loss.discriminator_loss(
            self.discriminator_b(batch['real_b']),
            self.discriminator_b(fake_b)))
        if self.backward_cycle:
            fake_a = self.pool_a.query(outputs['fake_a'])
            losses['loss_disc_a'] = self.gan_loss.discriminator_loss(
                self.discriminator_a(batch['real_a']),
                self.discriminator_a(fake_a))
        return losses


@STATE_DICT_ADAPTERS.register_module()
class MMagicCycleGANLayout(StateDictAdapter):
    """MMagic's (MMGeneration's, MMEditing 0.x's) CycleGAN checkpoints:
    per-domain networks in ``ConvModule`` keys (:mod:`toolbox.weights.mmagic`;
    files automatic loading cannot settle go through
    ``tools/convert_mmagic_cyclegan.py``)."""
    applies_to = CycleGAN
    layout = 'MMagic CycleGAN'
    detect = staticmethod(is_mmagic_cyclegan)
    convert = staticmethod(convert_mmagic_cyclegan)
