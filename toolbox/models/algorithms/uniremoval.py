"""Uni-Removal, stage 1: multi-teacher knowledge transfer (KT) with MGCL.

Zhang et al., "Uni-Removal: A Semi-Supervised Framework for Simultaneously
Addressing Multiple Degradations in Real-World Images", 2023, III-B and
III-D. Frozen teachers, one per degradation type, each trained on its own
synthetic data set, teach one student of the same architecture::

    L_KT = L_pix + L_MGCL                                        (6)
    L_pix = || S(x) - T_k(x) ||_1                                (1)
    L_MGCL = λ_f · L_FCL + λ_i · L_ICL                           (5)

where ``T_k`` is the teacher of the sample's own degradation ``k``.
"""
from collections import OrderedDict
from contextlib import nullcontext
from types import MappingProxyType
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from torch import nn

from toolbox.engine.checkpoint import FrozenModuleHolder
from toolbox.weights import load_weights
from toolbox.engine.optim_wrapper import cpu_amp_dtype
from toolbox.models.algorithms.restorer import Restorer, as_stage_list
from toolbox.models.data_preprocessor import VALUE_RANGES, convert_range
from toolbox.registry import MODELS
from toolbox.required_paths import RequiredPath, is_remote, normalize_path

TEACHER_KEYS = {'model', 'checkpoint', 'value_range', 'prefix', 'strict'}


#: Values of ``UniRemovalKT(frozen_precision=...)``.
FROZEN_PRECISIONS = ('auto', 'float32', 'bfloat16', 'float16', None)


@MODELS.register_module()
class UniRemovalKT(FrozenModuleHolder, Restorer):
    """Uni-Removal's knowledge-transfer stage: frozen teachers, one student.

    Each training sample is restored by the student and by the teacher of
    its own degradation label (``metainfo['degradation']``): the batch is
    grouped by label and each teacher runs once, on its group only, without
    autograd and in eval mode. Losses (each a registered module):

    * ``losses``: pixel losses between the student's restored image and the
      teacher's, Eq. (1) (``L1Loss``, logged ``loss_pixel``); with
      ``stage_loss='sum'`` every student stage output is compared with the
      teacher's final image, as MPRNet supervises its stages.
    * ``feature_loss``: FCL, Eq. (3) (:class:`FeatureContrastiveLoss`,
      ``loss_fcl``), on the backbone features named by ``feature_keys``
      (``forward(x, return_features=True)``).
    * ``image_loss``: ICL, Eq. (4) (:class:`ImageContrastiveLoss`,
      ``loss_icl``), on images mapped to ``[0, 1]``.

    ``None`` (or a zero ``loss_weight``) switches a loss off: the ablations
    of Table IV are configs. λ_f's decay is a
    :class:`~toolbox.engine.LossWeightDecayHook` on ``'feature_loss'``.

    Args:
        student: config of the student network (a backbone); it works in
            the data preprocessor's ``value_range`` (paper: ``'[-1,1]'``).
        teachers: ``{label: dict(model=<backbone cfg>, checkpoint=PATH,
            value_range='[0,1]', prefix=None)}``. ``checkpoint`` is a toolbox
            checkpoint of a Restorer (``generator.*`` keys), an official or
            bare generator state dict, or a work dir (its newest
            checkpoint), loaded strictly
            (:func:`~toolbox.weights.load_weights`; ``prefix``
            picks another part of the file; ``strict=False`` loads the
            tensors that fit on purpose and warns about the rest).
            ``None`` is an error unless
            ``allow_random_teachers``. Inputs are converted from the
            student's range to each teacher's and outputs back, so teachers
            trained on ``[0,1]`` serve a ``[-1,1]`` student. Teachers are
            loaded when training starts (``init_weights``, or at the first
            training step), so testing a student needs no teacher files.
        losses: pixel-loss configs (see :class:`Restorer`).
        feature_loss, image_loss: FCL and ICL configs, or None.
        feature_keys: the backbone features FCL compares, one level each
            (MPRNet: ``'dec2_0'``..``'dec2_2'``, the stage-2 decoder at full
            resolution, and ``'orsnet'``, the last feature before the tail).
        projections: ``{feature key: head cfg}`` (e.g. ``ProjectionHead``)
            applied to the student's features before FCL, for teachers whose
            feature width differs from the student's. All teachers must
            share a width per key.
        stage_loss: ``'final'`` (default, Eq. 1 compares restored images) or
            ``'sum'`` (every student stage output).
        frozen_precision: the precision of the frozen networks' inference
            (the teachers, and ICL's φ on the fixed positives/negatives):
            ``'auto'`` (default) runs them under autocast in channels_last
            where that is a measured gain -- bfloat16 on a CPU with native
            bfloat16 (:func:`~toolbox.engine.optim_wrapper.cpu_amp_dtype`),
            float16 on CUDA -- and in float32 elsewhere (emulated bfloat16
            is slower); ``'float32'``, ``'bfloat16'`` or ``'float16'``
            force one. Outputs are cast back to float32; the student
            trains in its own precision either way (docs/benchmarks.md).
        allow_random_teachers: accept ``checkpoint=None`` and keep those
            teachers' random weights (a warning says so). Off by default: a
            student silently distilled from random teachers is the worst
            failure of this method, so only tests and benchmarks opt in.
        data_preprocessor, train_cfg, test_cfg, init_cfg: as
            :class:`Restorer`.

    The teachers (and ICL's VGG) are held outside the module tree
    (:class:`~toolbox.engine.checkpoint.FrozenModuleHolder`): they are not
    parameters of the model, so they are in no optimiser, in no saved
    checkpoint, untouched by ``model.train()``; device moves still apply to
    them. A student checkpoint (``generator.*``) loads into a plain
    ``Restorer`` with the same generator.
    """

    def __init__(self,
                 student: dict,
                 teachers: Dict[str, dict],
                 losses: Optional[Sequence[dict]] = (dict(
                     type='L1Loss', loss_weight=1.0, loss_name='pixel'), ),
                 feature_loss: Optional[dict] = dict(
                     type='FeatureContrastiveLoss'),
                 image_loss: Optional[dict] = dict(
                     type='ImageContrastiveLoss'),
                 feature_keys: Sequence[str] = ('dec2_0', 'dec2_1', 'dec2_2',
                                                'orsnet'),
                 projections: Optional[Dict[str, dict]] = None,
                 stage_loss: str = 'final',
                 allow_random_teachers: bool = False,
                 frozen_precision: Optional[str] = 'auto',
                 data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            generator=student,
            losses=losses,
            data_preprocessor=data_preprocessor,
            stage_loss=stage_loss,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg)
        if frozen_precision not in FROZEN_PRECISIONS:
            raise ValueError(
                f'UniRemovalKT: frozen_precision must be one of '
                f'{FROZEN_PRECISIONS}, got {frozen_precision!r}')
        self.frozen_precision = frozen_precision
        if not teachers:
            raise ValueError('UniRemovalKT: `teachers` is empty; give one '
                             'teacher per degradation label')
        self.value_range = getattr(self.data_preprocessor, 'value_range',
                                   '[0,1]')
        self.feature_loss = MODELS.build(feature_loss) \
            if feature_loss else None
        self.image_loss = MODELS.build(image_loss) if image_loss else None
        self.feature_keys = list(feature_keys)
        self.projections = nn.ModuleDict({
            key: MODELS.build(cfg)
            for key, cfg in (projections or {}).items()
        })
        unknown = set(self.projections) - set(self.feature_keys)
        if unknown:
            raise KeyError(f'UniRemovalKT: projections for {sorted(unknown)} '
                           f'which are not in feature_keys {feature_keys}')
        self.teacher_cfgs = OrderedDict()
        for label, cfg in teachers.items():
            cfg = dict(cfg)
            extra = set(cfg) - TEACHER_KEYS
            if extra or 'model' not in cfg or 'checkpoint' not in cfg:
                raise KeyError(
                    f'UniRemovalKT: teacher {label!r} must be dict(model=..., '
                    'checkpoint=PATH, value_range=..., prefix=...); '
                    f'got keys {sorted(cfg)}')
            if cfg['checkpoint'] is None and not allow_random_teachers:
                raise ValueError(
                    f'UniRemovalKT: teacher {label!r} has no checkpoint. A '
                    'student distilled from random teachers learns nothing '
                    "useful: set the teacher's `checkpoint` to its trained "
                    'weights (a .pth file or the work dir of its training '
                    'run, e.g. of configs/uniremoval/teacher_*.py). Tests '
                    'that want random teachers pass '
                    'allow_random_teachers=True.')
            cfg.setdefault('value_range', '[0,1]')
            if cfg['value_range'] not in VALUE_RANGES:
                raise ValueError(
                    f'UniRemovalKT: teacher {label!r} value_range must be '
                    f'one of {VALUE_RANGES}, got {cfg["value_range"]!r}')
            network = MODELS.build(cfg['model'])
            if getattr(self.data_preprocessor, 'channels_last', False):
                network.to(memory_format=torch.channels_last)
            # Frozen and not registered as a sub-module (class docstring).
            self.hold_frozen(self._teacher_name(label), network)
            self.teacher_cfgs[label] = cfg
        self._teachers_loaded = False

    @classmethod
    def required_paths(cls, cfg: dict) -> List[RequiredPath]:
        """The teachers' checkpoints (files or work dirs) a model built
        from ``cfg`` loads when training starts."""
        paths = []
        for label, teacher in (cfg.get('teachers') or {}).items():
            checkpoint = teacher.get('checkpoint') \
                if isinstance(teacher, dict) else None
            if not isinstance(checkpoint, str) or is_remote(checkpoint):
                continue
            paths.append(RequiredPath(
                normalize_path(checkpoint), 'checkpoint',
                f'teachers.{label}.checkpoint',
                f"UniRemovalKT's {label!r} teacher",
                f'train the {label} teacher first (tools/train.py writes '
                'work_dirs/<config name>; the commands: '
                'docs/methods/uniremoval.md), or name its .pth file',
                training_only=True))
        return paths

    # ------------------------------------------------------------ teachers
    @staticmethod
    def _teacher_name(label: str) -> str:
        return f'teacher_{label}'

    @property
    def teachers(self) -> Mapping[str, nn.Module]:
        """The frozen teachers by degradation label (read-only mapping)."""
        return MappingProxyType(OrderedDict(
            (label, self.frozen_module(self._teacher_name(label)))
            for label in self.teacher_cfgs))

    def extra_repr(self) -> str:
        return 'teachers (frozen, not saved): ' + ', '.join(
            f'{label}={type(net).__name__}'
            for label, net in self.teachers.items())

    def load_teachers(self) -> None:
        """Load every teacher's checkpoint (done once, before training)."""
        for label, cfg in self.teacher_cfgs.items():
            network = self.teachers[label]
            if cfg['checkpoint'] is None:  # allow_random_teachers=True
                print_log(
                    f'UniRemovalKT: teacher {label!r} has checkpoint=None '
                    'and keeps RANDOM weights (allow_random_teachers=True).',
                    logger='current', level=30)
                continue
            filename = load_weights(network, cfg['checkpoint'],
                                    prefix=cfg.get('prefix') or 'auto',
                                    what=f'Teacher {label!r}',
                                    strict=cfg.get('strict', True))
            print_log(f'UniRemovalKT: teacher {label!r} loaded from '
                      f'{filename}', logger='current')
        self._teachers_loaded = True

    def frozen_dtype(self, device: torch.device) -> Optional[torch.dtype]:
        """The autocast dtype of the frozen networks' inference (teachers,
        ICL's no-grad φ pass) on ``device``; ``None``: float32."""
        choice = self.frozen_precision
        if choice in (None, 'float32'):
            return None
        if choice != 'auto':
            return getattr(torch, choice)
        if torch.device(device).type == 'cuda':
            return torch.float16
        if torch.device(device).type == 'cpu':
            return cpu_amp_dtype()
        return None

    def _frozen_context(self, device: torch.device):
        """Autocast for frozen inference, and channels_last on the frozen
        networks (once) when it is on."""
        dtype = self.frozen_dtype(device)
        if dtype is None:
            return nullcontext()
        if not getattr(self, '_frozen_channels_last', False):
            for network in self.teachers.values():
                network.to(memory_format=torch.channels_last)
            embedding = getattr(self.image_loss, 'embedding', None)
            if embedding is not None:
                embedding.to(memory_format=torch.channels_last)
            self._frozen_channels_last = True
        return torch.autocast(torch.device(device).type, dtype=dtype)

    def init_weights(self):
        """Initialise the student (its ``init_cfg``) and load the teachers."""
        super().init_weights()
        self.load_teachers()

    @staticmethod
    def sample_labels(data_samples: Sequence) -> List[str]:
        """Each sample's ``metainfo['degradation']``."""
        labels = []
        for i, sample in enumerate(data_samples):
            label = sample.metainfo.get('degradation')
            if label is None:
                raise KeyError(
                    'UniRemovalKT needs every training sample to carry '
                    "metainfo['degradation'] (MixedDegradationDataset sets "
                    f"it); sample {sample.metainfo.get('img_path', i)} has "
                    'none')
            labels.append(label)
        return labels

    def group_by_label(self, labels: Sequence[str],
                       device) -> Dict[str, torch.Tensor]:
        """``{label: indices}`` in order of first appearance."""
        groups = OrderedDict()
        for i, label in enumerate(labels):
            groups.setdefault(label, []).append(i)
        missing = [label for label in groups
                   if label not in self.teacher_cfgs]
        if missing:
            raise KeyError(
                f'UniRemovalKT: no teacher for degradation {missing}; '
                f'teachers: {sorted(self.teacher_cfgs)}')
        return OrderedDict(
            (label, torch.tensor(idx, device=device))
            for label, idx in groups.items())

    @torch.no_grad()
    def run_teachers(self, inputs: torch.Tensor, labels: Sequence[str],
                     with_features: bool = False
                     ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        """Each sample through the teacher of its label only.

        Returns the teachers' final restored images in the student's range
        and, with ``with_features``, their ``feature_keys`` features, both in
        batch order.
        """
        restored, features = None, {}
        groups = self.group_by_label(labels, inputs.device)
        context = self._frozen_context(inputs.device)
        low_precision = self.frozen_dtype(inputs.device) is not None
        whole = len(groups) == 1
        for label, index in groups.items():
            network = self.frozen_module(self._teacher_name(label))
            cfg = self.teacher_cfgs[label]
            x = inputs if whole else inputs.index_select(0, index)
            x = convert_range(x, self.value_range, cfg['value_range'])
            if low_precision:
                x = x.contiguous(memory_format=torch.channels_last)
            with context:
                if with_features:
                    outputs, feats = network(x, return_features=True)
                else:
                    outputs, feats = network(x), {}
            # Low-precision outputs back to float32: the losses compare
            # them with the student's float32 (or autocast) outputs.
            feats = {k: v.float() for k, v in feats.items()}
            image = convert_range(as_stage_list(outputs)[0].float(),
                                  cfg['value_range'], self.value_range)
            if whole:
                restored = image
                features = {k: feats[k] for k in self._checked_keys(feats)}
                break
            if restored is None:
                restored = image.new_empty((inputs.shape[0], ) +
                                           image.shape[1:])
            restored.index_copy_(0, index, image)
            for key in self._checked_keys(feats):
                value = feats[key]
                if key not in features:
                    features[key] = value.new_empty((inputs.shape[0], ) +
                                                    value.shape[1:])
                elif features[key].shape[1:] != value.shape[1:]:
                    raise ValueError(
                        f'UniRemovalKT: teachers differ in the shape of '
                        f'feature {key!r} ({tuple(features[key].shape[1:])}'
                        f' vs {label!r} {tuple(value.shape[1:])}); FCL needs'
                        ' one width per feature: retrain the teachers at one'
                        ' width, as the paper does, or switch FCL off')
                features[key].index_copy_(0, index, value)
        return restored, features

    def _checked_keys(self, feats: dict) -> List[str]:
        if not feats:
            return []
        missing = [k for k in self.feature_keys if k not in feats]
        if missing:
            raise KeyError(
                f'UniRemovalKT: feature_keys {missing} are not among the '
                f'backbone features {sorted(feats)}')
        return self.feature_keys

    # ------------------------------------------------------------ training
    def _active(self, loss: Optional[nn.Module]) -> bool:
        return loss is not None and float(loss.loss_weight) != 0.0

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """Losses of one training batch (Eq. 6)."""
        if not self._teachers_loaded:
            self.load_teachers()
        labels = self.sample_labels(data_samples)
        use_fcl = self._active(self.feature_loss)
        teacher_img, teacher_feats = self.run_teachers(
            inputs, labels, with_features=use_fcl)
        if use_fcl:
            outputs, student_feats = self.generator(
                inputs, return_features=True)
        else:
            outputs, student_feats = self.generator(inputs), {}
        losses = self.compute_losses(outputs, teacher_img) \
            if self.losses else {}
        if use_fcl:
            anchors = []
            for key in self._checked_keys(student_feats):
                feat = student_feats[key]
                if key in self.projections:
                    feat = self.projections[key](feat)
                if feat.shape[1] != teacher_feats[key].shape[1]:
                    raise ValueError(
                        f'UniRemovalKT: feature {key!r} is {feat.shape[1]} '
                        f'channels wide in the student and '
                        f'{teacher_feats[key].shape[1]} in the teachers; add '
                        f'projections={{{key!r}: dict(type=\'ProjectionHead\','
                        f' in_channels={feat.shape[1]}, out_channels='
                        f'{teacher_feats[key].shape[1]})}}')
                anchors.append(feat)
            losses['loss_fcl'] = self.feature_loss(
                anchors, [teacher_feats[k] for k in self.feature_keys],
                labels)
        if self._active(self.image_loss):
            to_unit = lambda x: convert_range(  # noqa: E731
                x, self.value_range, '[0,1]')
            # φ's fixed branch (teacher image, degraded input) is frozen
            # inference too: the same precision as the teachers.
            self.image_loss.no_grad_dtype = self.frozen_dtype(inputs.device)
            losses['loss_icl'] = self.image_loss(
                to_unit(as_stage_list(outputs)[0]), to_unit(teacher_img),
                to_unit(inputs))
        if not losses:
            raise ValueError('UniRemovalKT: every loss is switched off')
        return losses
