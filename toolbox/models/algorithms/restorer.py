"""``Restorer``: supervised image-to-image restoration."""
from typing import Dict, Optional, Sequence

import torch

from toolbox.weights import mismatch_error, shape_mismatch
from toolbox.models.algorithms.base import (RestorationModel, as_stage_list,
                                            named_outputs)
from toolbox.models.algorithms.loss_routing import RoutedLosses
from toolbox.registry import MODELS

__all__ = ['Restorer', 'as_stage_list']


@MODELS.register_module()
class Restorer(RestorationModel):
    """A generator trained with a weighted sum of registered losses.

    Args:
        generator: config of the network (a registered backbone). It maps a
            normalised ``N×3×H×W`` batch to a tensor, or to a list of tensors
            for multi-stage networks (final output first).
        losses: list of loss configs, each with ``type`` and ``loss_weight``
            and optionally ``loss_name`` and ``inputs`` (see
            :mod:`~toolbox.models.algorithms.loss_routing`). The outputs a
            loss can name: ``pred`` (final image), ``stages`` (every stage
            of a multi-stage network, final first), ``target``, and the
            names of a network that returns a dict (e.g. ``aux``). A loss
            without ``inputs`` is applied to every stage and summed over
            stages (``stage_loss='sum'``, MPRNet's recipe) or to the final
            output only (``stage_loss='final'``).
        train_features: names of intermediate features the losses take
            (e.g. ``('fdm',)``, FDR-Net's feature-disentanglement outputs
            for its SVDO loss). When set, training calls the generator as
            ``generator(x, return_features=True)`` (the backbones' feature
            convention: it returns ``(outputs, {name: feature})``) and adds
            the named features to the outputs the losses route by name;
            testing and inference never ask for them. Default: none, the
            plain ``generator(x)``.
        data_preprocessor: a :class:`RestorationDataPreprocessor` config; its
            ``value_range`` is the network's.
        test_cfg: ``dict(tile=T)`` restores large images tile by tile in
            ``predict``; optional ``tile_overlap``, ``tile_blend`` and
            ``tile_batch`` (see :mod:`toolbox.models.utils.tiling`).
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
                 train_features: Optional[Sequence[str]] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         test_cfg=test_cfg, init_cfg=init_cfg)
        if stage_loss not in ('sum', 'final'):
            raise ValueError(
                f"stage_loss must be 'sum' or 'final', got {stage_loss!r}")
        self.generator = MODELS.build(generator)
        self.stage_loss = stage_loss
        if isinstance(train_features, str):
            train_features = (train_features, )
        self.train_features = tuple(train_features or ())
        self.losses = RoutedLosses(
            losses,
            default_inputs=('stages' if stage_loss == 'sum' else 'pred',
                            'target'))
        self.train_cfg = dict(train_cfg or {})
        self._register_load_state_dict_pre_hook(self._accept_bare_generator)

    def _accept_bare_generator(self, state_dict, prefix, *args, **kwargs):
        """Prefix generator-only state dicts with ``generator.``, and refuse
        generator weights of another shape.

        For loaders outside the weights pipeline (MMEngine's
        ``load_checkpoint`` in a user's script, a plain
        ``load_state_dict``): MMEngine loads non-strictly, which only warns
        about tensors of the wrong shape, one line each, and would go on
        with a randomly initialised generator (e.g. a released file of
        another width); here such a file fails at once with the pipeline's
        short :class:`~toolbox.weights.CheckpointMismatchError`
        (:func:`~toolbox.weights.mismatch_error`). The toolbox's own paths
        (``tools/*.py``, ``load_from``, ``--resume``) load through
        :mod:`toolbox.weights`, which puts a generator-only file into the
        generator itself.
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
        problem = shape_mismatch(generator_state, found)
        if problem:
            raise mismatch_error(
                'the checkpoint', f'{type(self).__name__}.generator '
                f'({type(self.generator).__name__})', problem)

    def compute_losses(self, outputs, target: torch.Tensor,
                       features: Optional[Dict[str, object]] = None,
                       **kwargs) -> Dict[str, torch.Tensor]:
        """Every loss on the named network outputs, the ``features`` the
        network returned (by name) and ``target``."""
        if not self.losses:
            raise ValueError('Restorer has no `losses` to train with.')
        named = named_outputs(outputs)
        for name, value in (features or {}).items():
            if name in named or name == 'target':
                raise ValueError(
                    f'Restorer: feature {name!r} has the name of a network '
                    f'output ({sorted(named) + ["target"]})')
            named[name] = value
        return self.losses(dict(named, target=target), **kwargs)

    def run_generator(self, inputs: torch.Tensor):
        """The generator's outputs and the ``train_features`` it returned
        (``{}`` when none are asked for)."""
        if not self.train_features:
            return self.generator(inputs), {}
        outputs, features = self.generator(inputs, return_features=True)
        missing = [n for n in self.train_features if n not in features]
        if missing:
            raise KeyError(
                f'Restorer: train_features {missing} are not among the '
                f'features {type(self.generator).__name__} returns with '
                f'return_features=True: {sorted(features)}')
        return outputs, {n: features[n] for n in self.train_features}

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """Losses of one training batch."""
        target = self.data_preprocessor.stack_gt(data_samples)
        outputs, features = self.run_generator(inputs)
        return self.compute_losses(outputs, target, features)
