"""Uni-Removal, stage 2: adversarial domain adaptation (DA) with EX-MGCL.

Zhang et al., "Uni-Removal", 2023, III-C and III-D (Eqs. 7–13). The
student of the knowledge-transfer stage (:class:`UniRemovalKT`) is
fine-tuned on unpaired real-world images: real degraded images ``x`` (each
with its degradation label) and real clear images ``y``. A discriminator
learns to tell the restored ``S(x)`` from real clear images::

    L_DA = λ_adv L_adv + λ_idt L_idt + L_EX-MGCL                   (13)
    L_adv:   the student fools D on S(x)                            (7)
    L_idt = || S(y) - y ||_1                                        (8)
    L_EX-MGCL = λ_ef L_EFCL + λ_ei L_EICL                           (12)

with EFCL/EICL the extended contrastive losses of Eqs. (9)–(11)
(:class:`ExtendedFeatureContrastiveLoss`,
:class:`ExtendedImageContrastiveLoss`). Which of the paper's weights
(0.5 / 0.1 / 0.1 / 0.01, IV-A2) goes with which term is a reading of the
paper: docs/methods/uniremoval.md gives the toolbox's and why.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.logging import print_log

from toolbox.weights import load_weights
from toolbox.models.algorithms.base import as_stage_list
from toolbox.models.algorithms.base_gan import BaseGAN
from toolbox.models.algorithms.loss_routing import RoutedLosses
from toolbox.models.algorithms.uniremoval import UniRemovalKT
from toolbox.models.data_preprocessor import convert_range
from toolbox.models.utils.image_pool import ImagePool
from toolbox.registry import MODELS
from toolbox.required_paths import RequiredPath, is_remote, normalize_path

#: Eq. (8): real clear images pass through the student unchanged.
DEFAULT_LOSSES = (dict(type='IdentityLoss', loss_weight=0.1,
                       inputs=('restored_clear', 'real_clear')), )


@MODELS.register_module()
class UniRemovalDA(BaseGAN):
    """Uni-Removal's domain-adaptation stage: student against a
    discriminator on unpaired real images.

    Sub-modules: ``generator`` (the student, the network ``predict`` runs)
    and ``discriminator``; the config's ``optim_wrapper`` gives each its
    own optimiser (``MultiOptimWrapperConstructor`` entries
    ``generators=dict(modules='generator')`` and
    ``discriminators=dict(modules='discriminator')``).

    Args:
        generator: the student network's config (the KT student's).
        discriminator: the discriminator's config (PatchGAN by default in
            the configs; the paper says "a discriminator").
        student_checkpoint: the KT stage's checkpoint (a file, or its work
            dir: the newest checkpoint), whose ``generator.*`` weights the
            student starts from when training starts; ``None`` keeps the
            student's own initialisation (tests, or a ``load_from``).
        gan_loss: Eq. (7) (``GANLoss``; its ``loss_weight`` is λ_adv and
            scales the student's side only).
        losses: the student's routed losses on the named outputs
            ``real_degraded`` (x), ``real_clear`` (y), ``restored`` (S(x)),
            ``restored_clear`` (S(y)); default: the identity loss of Eq. (8),
            ``|S(y) - y|_1``, weight λ_idt = 0.1.
        feature_loss: EFCL, Eq. (10), on the student features named by
            ``feature_keys``; ``None`` switches it off (Table V's ablations).
        image_loss: EICL, Eq. (11), on images mapped to ``[0, 1]``; ``None``
            switches it off.
        feature_keys: the student features EFCL compares (as in KT).
        pool_size: an image pool of restored images for the discriminator
            (CycleGAN's history; the paper names none: 0, off).
        data_preprocessor: ``'[-1,1]'`` as in KT (IV-A1).
        train_cfg, test_cfg, init_cfg: see :class:`BaseGAN`.
    """

    inference_network_name = 'generator'

    def __init__(self,
                 generator: dict,
                 discriminator: dict,
                 student_checkpoint: Optional[str] = None,
                 gan_loss: dict = dict(type='GANLoss', gan_type='lsgan',
                                       loss_weight=0.01),
                 losses: Optional[Sequence[dict]] = DEFAULT_LOSSES,
                 feature_loss: Optional[dict] = dict(
                     type='ExtendedFeatureContrastiveLoss', loss_weight=0.5,
                     temperature=1e-6),
                 image_loss: Optional[dict] = dict(
                     type='ExtendedImageContrastiveLoss', loss_weight=0.1,
                     temperature=1e-6),
                 feature_keys: Sequence[str] = ('dec2_0', 'dec2_1', 'dec2_2',
                                                'orsnet'),
                 pool_size: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='RestorationDataPreprocessor',
                                     value_range='[-1,1]',
                                     pad_size_divisor=8)
        super().__init__(data_preprocessor=data_preprocessor,
                         train_cfg=train_cfg, test_cfg=test_cfg,
                         init_cfg=init_cfg)
        self.generator = MODELS.build(generator)
        self.discriminator = MODELS.build(discriminator)
        self.student_checkpoint = student_checkpoint
        self.gan_loss = MODELS.build(gan_loss)
        self.losses = RoutedLosses(losses, default_inputs=())
        self.feature_loss = None if feature_loss is None else \
            MODELS.build(feature_loss)
        self.image_loss = None if image_loss is None else \
            MODELS.build(image_loss)
        self.feature_keys = list(feature_keys)
        self.pool = ImagePool(pool_size)
        self.value_range = self.data_preprocessor.value_range

    @classmethod
    def required_paths(cls, cfg: dict) -> List[RequiredPath]:
        """The KT checkpoint the student starts from (training only)."""
        checkpoint = cfg.get('student_checkpoint')
        if not isinstance(checkpoint, str) or is_remote(checkpoint):
            return []
        return [RequiredPath(
            normalize_path(checkpoint), 'checkpoint', 'student_checkpoint',
            "UniRemovalDA's student (the knowledge-transfer checkpoint)",
            'train the knowledge-transfer stage first (configs/uniremoval/'
            'kt_mprnet*.py; docs/methods/uniremoval.md), or name its .pth',
            training_only=True, initial_weights=True)]

    def init_weights(self):
        """Initialise, then start the student from the KT checkpoint."""
        super().init_weights()
        if self.student_checkpoint is None:
            return
        filename = load_weights(self.generator, self.student_checkpoint,
                                prefix='generator.',
                                what='UniRemovalDA student')
        print_log(f'UniRemovalDA: student loaded from {filename}',
                  logger='current')

    # ------------------------------------------------------------ training
    @staticmethod
    def _active(loss) -> bool:
        return loss is not None and float(loss.loss_weight) != 0.0

    def prepare_batch(self, inputs: torch.Tensor,
                      data_samples: Sequence) -> dict:
        """``real_degraded`` (x, with ``labels``) and ``real_clear`` (y, the
        unpaired ``ref_img``)."""
        labels = UniRemovalKT.sample_labels(data_samples) \
            if self._active(self.feature_loss) else None
        return dict(real_degraded=inputs,
                    real_clear=self.data_preprocessor.stack_images(
                        data_samples, 'ref_img'),
                    labels=labels)

    def _needs_clear_pass(self) -> bool:
        return bool(self.losses) or self._active(self.feature_loss) or \
            self._active(self.image_loss)

    def _run(self, x: torch.Tensor, with_features: bool):
        if not with_features:
            return as_stage_list(self.generator(x))[0], None
        outputs, feats = self.generator(x, return_features=True)
        missing = [k for k in self.feature_keys if k not in feats]
        if missing:
            raise KeyError(
                f'UniRemovalDA: feature_keys {missing} are not among the '
                f'student\'s features {sorted(feats)}')
        return as_stage_list(outputs)[0], [feats[k] for k in
                                           self.feature_keys]

    def generate(self, batch: dict) -> dict:
        features = self._active(self.feature_loss)
        restored, feats = self._run(batch['real_degraded'], features)
        outputs = dict(real_degraded=batch['real_degraded'],
                       real_clear=batch['real_clear'], restored=restored,
                       features_degraded=feats)
        if self._needs_clear_pass():
            outputs['restored_clear'], outputs['features_clear'] = \
                self._run(batch['real_clear'], features)
        return outputs

    def generator_losses(self, batch: dict,
                         outputs: dict) -> Dict[str, torch.Tensor]:
        losses = dict(loss_gan=self.gan_loss.generator_loss(
            self.discriminator(outputs['restored'])))
        losses.update(self.losses(outputs))
        if self._active(self.feature_loss):
            losses['loss_efcl'] = self.feature_loss(
                outputs['features_degraded'], outputs['features_clear'],
                batch['labels'])
        if self._active(self.image_loss):
            def to_unit(x):
                return convert_range(x, self.value_range, '[0,1]')

            losses['loss_eicl'] = self.image_loss(
                to_unit(outputs['restored']),
                to_unit(outputs['restored_clear']),
                to_unit(outputs['real_degraded']))
        return losses

    def discriminator_losses(self, batch: dict,
                             outputs: dict) -> Dict[str, torch.Tensor]:
        fake = self.pool.query(outputs['restored'])
        return dict(loss_disc=self.gan_loss.discriminator_loss(
            self.discriminator(batch['real_clear']),
            self.discriminator(fake)))
