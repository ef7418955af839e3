"""``Restorer``: supervised image-to-image restoration."""
import re
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from toolbox.engine.checkpoint import (CheckpointMismatchError,
                                       describe_mismatch)
from toolbox.models.data_preprocessor import build_data_preprocessor
from toolbox.registry import MODELS

ForwardResults = Union[Dict[str, torch.Tensor], List, torch.Tensor]


def _snake_case(name: str) -> str:
    name = re.sub(r'Loss$', '', name)
    return re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()


def build_losses(loss_cfgs: Optional[Sequence[dict]]) -> nn.ModuleDict:
    """Build registered losses, keyed by the name their value is logged as.

    Each config may carry ``loss_name`` (the key is then ``loss_<loss_name>``);
    otherwise the class name gives it (``CharbonnierLoss`` → ``loss_charbonnier``).
    """
    losses = nn.ModuleDict()
    for cfg in loss_cfgs or []:
        cfg = dict(cfg)
        if 'type' not in cfg:
            raise KeyError(f'Each entry of `losses` needs a `type`: {cfg}')
        loss_type = cfg['type']
        type_name = loss_type if isinstance(loss_type, str) else \
            loss_type.__name__
        name = cfg.pop('loss_name', None) or _snake_case(type_name)
        key = name if name.startswith('loss_') else f'loss_{name}'
        if key in losses:
            raise ValueError(
                f'Two losses would both be logged as {key!r}; give one a '
                "distinct `loss_name`.")
        losses[key] = MODELS.build(cfg)
    return losses


def as_stage_list(outputs) -> List[torch.Tensor]:
    """A generator's outputs as a list, final output first."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    return list(outputs)


@MODELS.register_module()
class Restorer(BaseModel):
    """A generator trained with a weighted sum of registered losses.

    Args:
        generator: config of the network (a registered backbone). It maps a
            normalised ``N×3×H×W`` batch to a tensor, or to a list of tensors
            for multi-stage networks (final output first).
        losses: list of loss configs, each with ``type`` and ``loss_weight``
            and optionally ``loss_name``. Each loss is called as
            ``loss(pred, target)`` on every stage output and summed over
            stages (``stage_loss='sum'``, MPRNet's recipe) or on the final
            output only (``stage_loss='final'``).
        data_preprocessor: a :class:`RestorationDataPreprocessor` config; its
            ``value_range`` is the network's.
        test_cfg: ``dict(tile=T, tile_overlap=O)`` restores large images tile
            by tile in ``predict`` (see :mod:`toolbox.apis.tiling`).
        init_cfg: MMEngine weight initialisation config.

    ``predict`` returns the input samples with ``pred_img`` set: an RGB float
    tensor ``3×H×W`` in ``[0, 255]`` cropped to the input size.

    Checkpoints holding only the generator's weights (e.g. an official
    release, keys without the ``generator.`` prefix) load into a Restorer
    through ``load_from``/``load_checkpoint`` unchanged.
    """

    def __init__(self,
                 generator: dict,
                 losses: Optional[Sequence[dict]] = None,
                 data_preprocessor: Optional[dict] = None,
                 stage_loss: str = 'sum',
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=build_data_preprocessor(data_preprocessor),
            init_cfg=init_cfg)
        if stage_loss not in ('sum', 'final'):
            raise ValueError(
                f"stage_loss must be 'sum' or 'final', got {stage_loss!r}")
        self.generator = MODELS.build(generator)
        if getattr(self.data_preprocessor, 'channels_last', False):
            # Weights in the inputs' layout avoid a conversion per conv.
            self.generator.to(memory_format=torch.channels_last)
        self.losses = build_losses(losses)
        self.stage_loss = stage_loss
        self.train_cfg = dict(train_cfg or {})
        self.test_cfg = dict(test_cfg or {})
        self._register_load_state_dict_pre_hook(self._accept_bare_generator)

    def _accept_bare_generator(self, state_dict, prefix, *args, **kwargs):
        """Prefix generator-only state dicts with ``generator.``, and refuse
        generator weights of another shape.

        MMEngine loads ``load_from`` non-strictly, which only warns about
        tensors of the wrong shape, one line each, and would go on with a
        randomly initialised generator (e.g. a released file of another
        width under ``tools/test.py``); here such a file fails at once with
        a short :class:`~toolbox.engine.checkpoint.CheckpointMismatchError`.
        """
        own = f'{prefix}generator.'
        keys = [k for k in state_dict if k.startswith(prefix)]
        if not keys:
            return
        generator_state = self.generator.state_dict()
        if not any(k.startswith(own) for k in keys):
            bare = [k[len(prefix):] for k in keys]
            if sum(k in generator_state for k in bare) < len(bare) / 2:
                return
            for key, name in zip(keys, bare):
                state_dict[own + name] = state_dict.pop(key)
        found = {k[len(own):]: v for k, v in state_dict.items()
                 if k.startswith(own) and k[len(own):] in generator_state}
        problem = describe_mismatch(
            {k: v for k, v in generator_state.items() if k in found}, found)
        if problem:
            raise CheckpointMismatchError(
                f'the checkpoint does not fit {type(self).__name__}.generator '
                f'({type(self.generator).__name__}): {problem}. Is it a '
                'checkpoint of another network or width (another config or '
                'variant)?')

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        """MMEngine's entry point: ``mode`` is 'loss', 'predict' or 'tensor'."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.generator(inputs)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got "
                         f'{mode!r}')

    def compute_losses(self, outputs, target: torch.Tensor,
                       **kwargs) -> Dict[str, torch.Tensor]:
        """Apply every loss to the stage outputs (see ``stage_loss``)."""
        stages = as_stage_list(outputs)
        if self.stage_loss == 'final':
            stages = stages[:1]
        if not self.losses:
            raise ValueError('Restorer has no `losses` to train with.')
        return {
            key: sum(loss(pred, target, **kwargs) for pred in stages)
            for key, loss in self.losses.items()
        }

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """Losses of one training batch."""
        target = self.data_preprocessor.stack_gt(data_samples)
        return self.compute_losses(self.generator(inputs), target)

    def restore(self, inputs: torch.Tensor) -> torch.Tensor:
        """The final restored batch in the network's range (tiled if asked)."""
        tile = self.test_cfg.get('tile')
        if tile:
            from toolbox.apis.tiling import tiled_forward
            # Tiles are padded like whole images (the network's divisor).
            divisor = getattr(self.data_preprocessor, 'pad_size_divisor', 1)
            return tiled_forward(
                lambda x: as_stage_list(self.generator(x))[0], inputs, tile,
                self.test_cfg.get('tile_overlap', 32),
                pad_multiple=divisor or 1)
        return as_stage_list(self.generator(inputs))[0]

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[Sequence] = None) -> list:
        """Restore a batch; return samples with ``pred_img`` in [0, 255]."""
        pixels = self.data_preprocessor.denormalize(
            self.restore(inputs).float())
        crops = self.data_preprocessor.crop_padding(pixels, data_samples)
        if data_samples is None:
            from toolbox.structures import RestorationSample
            data_samples = [RestorationSample() for _ in crops]
        for sample, pred in zip(data_samples, crops):
            sample.pred_img = pred.detach()
        return list(data_samples)
