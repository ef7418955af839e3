"""``DCDGAN``: unpaired deraining with dual contrastive learning.

Chen et al., "Unpaired Deep Image Deraining Using Dual Contrastive
Learning" (DCD-GAN, CVPR 2022); official code ``cschenxiang/DCD-GAN``.
Domain A holds the rainy images (the dataset's ``img``), domain B the
unpaired clean ones (its ``ref``).

* **Bidirectional translation branch** (Sec. 3.1): :class:`CycleGAN`'s two
  generators, two discriminators and two cycles. Against the paper and the
  official code: ``generator_a2b`` is ``G_A`` (derains), ``generator_b2a``
  is ``G_B`` (adds rain), ``discriminator_b`` is ``D_A`` (judges clean
  images) and ``discriminator_a`` is ``D_B``.
* **Contrastive guidance branches** (Sec. 3.2, Eq. 2), one per cycle, each
  across the two generators' encoders through two projection heads
  (``head_a2b`` = ``F1`` on ``G_A``'s features, ``head_b2a`` = ``F2`` on
  ``G_B``'s)::

      forward CGB  (loss_nce_a2b): key   F1(G_A.enc(a))       fresh positions
                                   query F2(G_B.enc(G_A(a)))  same positions
      backward CGB (loss_nce_b2a): key   F2(G_B.enc(b))
                                   query F1(G_A.enc(G_B(b)))

  The key is detached (only the query side learns); the paper's "256
  external" negatives of each CGB are the other CGB's key codes of the
  same layer (``docs/methods/dcdgan.md`` says why), used when the
  contrastive loss's ``negatives`` asks for them.
* **The objective** (Eq. 6) is the sum of the logged terms; each weight
  sits in its loss's ``loss_weight`` (the configs carry the paper's
  λ = 2, 1, 1, 0.1 and the released code's averaging over the two
  directions)::

      L_G = L_adv(a2b) + L_adv(b2a) + L_con(a2b) + L_con(b2a)
          + Σ routed losses (colour cycle Eq. 3, frequency Eq. 5, ...)
      L_D = ½ (L(D(real), real) + L(D(fake), fake))     per discriminator

The heads are built in ``__init__`` from the generator's feature widths,
so optimisers, DDP and checkpoints see them from the first iteration.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from toolbox.models.algorithms.cyclegan import CycleGAN
from toolbox.registry import MODELS

#: Eq. (3) and Eq. (5) on the cycle reconstructions against their inputs,
#: with the paper's λ = 1 and 0.1 (see docs/methods/dcdgan.md for the
#: reading of Eq. 5's pairs and of the weights).
PAPER_LOSSES = (
    dict(type='ColorCycleLoss', loss_weight=1.0, loss_name='color_cycle',
         inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
    dict(type='FrequencyLoss', loss_weight=0.1, loss_name='frequency',
         inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')]),
)

#: The official step: discriminators first, then the generators and the
#: projection heads on one loss (two optimisers, as released).
DEFAULT_TRAIN_CFG = dict(order=('discriminator', 'generator'),
                         generator_wrappers=('generators', 'heads'))

#: Where a CGB's external negatives come from: the other CGB's key codes
#: (default; real images of the other domain, in the query's projection
#: space) or its query codes (translated images, in the key's space).
EXTERNAL_SOURCES = ('other_key', 'other_query')

Codes = List[torch.Tensor]


@MODELS.register_module()
class DCDGAN(CycleGAN):
    """DCD-GAN: CycleGAN's two cycles plus cross-generator patch-NCE.

    Args:
        generator: config of both generators; it must offer
            ``forward(x, layers=..., encode_only=True)`` and
            ``feature_channels(layers)`` (``ResnetGenerator``; DCD-GAN uses
            its anti-aliased ResNet-9, ``antialias=True``).
        discriminator: config of both discriminators (PatchGAN).
        head: config of the projection heads (``PatchSampleMLP``) without
            ``in_channels``, which come from the generator's widths at
            ``nce_layers``. Two heads are built from it: ``head_a2b``
            (``F1``, on ``generator_a2b``'s features) and ``head_b2a``
            (``F2``); their weights are not shared (Sec. 3.2).
        contrastive_loss: the CGB loss (``PatchNCELoss``), applied once per
            CGB; ``None`` drops both CGBs (the "w/o L_con" ablation; the
            heads then get no gradient).
        nce_layers: generator layers whose outputs the CGBs contrast
            (official: 4, 8, 12, 16 of the anti-aliased ResNet-9).
        gan_loss: the adversarial loss; its ``loss_weight`` scales each
            generator's term (0.5 = the released average of the two).
        losses: the generator's other losses routed to the named outputs
            of :class:`CycleGAN` (``real_a``, ``real_b``, ``fake_a``,
            ``fake_b``, ``rec_a``, ``rec_b``, ``idt_a``, ``idt_b``);
            default: the colour cycle (Eq. 3) and frequency (Eq. 5) losses
            on the cycle reconstructions.
        external_source: the "256 external" negatives of each CGB, used
            when ``contrastive_loss`` asks for external negatives
            (``negatives='both'`` or ``'external'``): ``'other_key'``
            (default), the other CGB's key codes of the same layer (for
            the forward CGB ``F2(G_B.enc(b))``), or ``'other_query'``, its
            query codes (``F1(G_A.enc(G_B(b)))``).
        backward_cycle: keep the backward cycle ``b -> G_B -> G_A`` with
            its adversarial term and its CGB (default). ``False`` is the
            Table 6 ablation: the clean images then only serve as
            ``D_A``'s real examples (no external negatives either).
        pool_size: image pools of the discriminators (DCD-GAN: 0, none).
        generator_b2a, discriminator_a, data_preprocessor, test_cfg,
            init_cfg: see :class:`CycleGAN` (``test_cfg.direction='a2b'``:
            ``predict`` and ``tools/infer.py`` run ``G_A``, the deraining
            generator).
        train_cfg: see :class:`BaseGAN`; default
            ``order=('discriminator', 'generator')`` and
            ``generator_wrappers=('generators', 'heads')``.
    """

    def __init__(self,
                 generator: dict,
                 discriminator: dict,
                 head: dict = dict(type='PatchSampleMLP', num_patches=256,
                                   mlp_channels=256),
                 contrastive_loss: Optional[dict] = dict(
                     type='PatchNCELoss', loss_weight=1.0, temperature=0.07,
                     negatives='both'),
                 nce_layers: Sequence[int] = (4, 8, 12, 16),
                 gan_loss: dict = dict(type='GANLoss', gan_type='hinge',
                                       hinge_generator='dcdgan',
                                       loss_weight=0.5),
                 losses: Optional[Sequence[dict]] = PAPER_LOSSES,
                 external_source: str = 'other_key',
                 backward_cycle: bool = True,
                 pool_size: int = 0,
                 generator_b2a: Optional[dict] = None,
                 discriminator_a: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            generator=generator, discriminator=discriminator,
            gan_loss=gan_loss, losses=losses, generator_b2a=generator_b2a,
            discriminator_a=discriminator_a, pool_size=pool_size,
            backward_cycle=backward_cycle,
            data_preprocessor=data_preprocessor,
            train_cfg=dict(DEFAULT_TRAIN_CFG, **(train_cfg or {})),
            test_cfg=test_cfg, init_cfg=init_cfg)
        if external_source not in EXTERNAL_SOURCES:
            raise ValueError(f'DCDGAN: external_source must be one of '
                             f'{EXTERNAL_SOURCES}, got {external_source!r}')
        self.nce_layers = tuple(int(i) for i in nce_layers)
        if not self.nce_layers:
            raise ValueError('DCDGAN: nce_layers is empty')
        self.head_a2b = self._build_head(head, self.generator_a2b, 'a2b')
        self.head_b2a = self._build_head(head, self.generator_b2a, 'b2a')
        self.contrastive_loss = MODELS.build(contrastive_loss) \
            if contrastive_loss else None
        self.external_source = external_source

    def _build_head(self, head: dict, generator: nn.Module,
                    name: str) -> nn.Module:
        """A projection head sized for ``generator``'s ``nce_layers``."""
        if not hasattr(generator, 'feature_channels'):
            raise TypeError(
                f'DCDGAN: generator_{name} ({type(generator).__name__}) has '
                'no feature_channels(layers); the contrastive heads need '
                'the widths of its encoder layers (use ResnetGenerator).')
        channels = list(generator.feature_channels(self.nce_layers))
        cfg = dict(head)
        given = cfg.pop('in_channels', None)
        if given is not None and list(given) != channels:
            raise ValueError(
                f'DCDGAN: head in_channels {list(given)} do not match '
                f'generator_{name} layers {list(self.nce_layers)} '
                f'({channels}); leave in_channels out of the head config.')
        return MODELS.build(dict(cfg, in_channels=channels))

    @property
    def uses_external_negatives(self) -> bool:
        """Whether each CGB takes the other CGB's codes as negatives."""
        return (self.contrastive_loss is not None and self.backward_cycle
                and getattr(self.contrastive_loss,
                            'uses_external_negatives', False))

    def encode(self, generator: nn.Module, images: torch.Tensor) -> Codes:
        """``generator``'s features at ``nce_layers`` (encoder only)."""
        return generator(images, layers=self.nce_layers, encode_only=True)

    def _keys(self, generator: nn.Module, head: nn.Module,
              images: torch.Tensor) -> Tuple[Codes, Codes]:
        """Key codes at fresh positions, and the positions. No gradient
        reaches a key (the loss detaches it), so no graph is built."""
        with torch.no_grad():
            return head(self.encode(generator, images))

    def contrastive_losses(self, outputs: dict) -> Dict[str, torch.Tensor]:
        """Eq. (2) on each CGB: ``loss_nce_a2b`` (forward cycle) and
        ``loss_nce_b2a`` (backward cycle)."""
        batch_size = outputs['real_a'].shape[0]
        keys, queries = {}, {}
        keys['a2b'], ids_a = self._keys(self.generator_a2b, self.head_a2b,
                                        outputs['real_a'])
        queries['a2b'], _ = self.head_b2a(
            self.encode(self.generator_b2a, outputs['fake_b']),
            patch_ids=ids_a)
        if self.backward_cycle:
            keys['b2a'], ids_b = self._keys(
                self.generator_b2a, self.head_b2a, outputs['real_b'])
            queries['b2a'], _ = self.head_a2b(
                self.encode(self.generator_a2b, outputs['fake_a']),
                patch_ids=ids_b)
        external = self.uses_external_negatives
        # The other CGB's codes (detached by the loss).
        stack = keys if self.external_source == 'other_key' else queries
        other = dict(a2b='b2a', b2a='a2b')
        return {
            f'loss_nce_{cgb}': self.contrastive_loss(
                queries[cgb], keys[cgb], batch_size=batch_size,
                external_negatives=stack[other[cgb]] if external else None)
            for cgb in keys
        }

    def generator_losses(self, batch: dict,
                         outputs: dict) -> Dict[str, torch.Tensor]:
        losses = super().generator_losses(batch, outputs)
        if self.contrastive_loss is not None:
            losses.update(self.contrastive_losses(outputs))
        return losses
