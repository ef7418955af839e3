"""What every image-to-image model shares: predict, tiling, named outputs.

A supervised :class:`~toolbox.models.algorithms.restorer.Restorer`, a GAN
(:class:`~toolbox.models.algorithms.base_gan.BaseGAN`) and the Uni-Removal
stages all test the same way: one network (the *inference network*) maps
the normalised input batch to an image, the data preprocessor maps it back
to ``[0, 255]`` RGB and crops the padding away. They differ in training
only, which each algorithm owns.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from toolbox.models.data_preprocessor import build_data_preprocessor
from toolbox.models.utils.tile_settings import TileSettings, restore_tiled
from toolbox.registry import STATE_DICT_ADAPTERS
from toolbox.structures import RestorationSample
from toolbox.weights.adapters import (StateDictAdapter,
                                      adapt_state_dict_in_place,
                                      is_basicsr_network_file,
                                      unwrap_basicsr_network_file)

NetworkOutput = Union[torch.Tensor, Sequence[torch.Tensor],
                      Dict[str, torch.Tensor]]


def as_stage_list(outputs: NetworkOutput) -> List[torch.Tensor]:
    """A network's image outputs as a list, final output first.

    A tensor is one stage; a list/tuple holds the stages of a multi-stage
    network (MPRNet: final first); a dict holds named outputs and its
    ``'pred'`` is the restored image.
    """
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    if isinstance(outputs, dict):
        return [outputs['pred']]
    return list(outputs)


def named_outputs(outputs: NetworkOutput) -> Dict[str, object]:
    """A network's outputs by name: ``pred`` (final image), ``stages``
    (every stage, final first; ``[pred]`` for single-output networks) and a
    dict network's own names (e.g. an auxiliary branch's ``aux``)."""
    if isinstance(outputs, dict):
        if 'pred' not in outputs:
            raise KeyError('A network returning a dict must name its '
                           f"restored image 'pred'; got {sorted(outputs)}")
        named = dict(outputs)
        named.setdefault('stages', [named['pred']])
        return named
    stages = as_stage_list(outputs)
    return dict(pred=stages[0], stages=stages)


class RestorationModel(BaseModel):
    """Base of the toolbox's algorithms: test-time behaviour in one place.

    Subclasses set :attr:`inference_network_name` (the attribute holding
    the network ``predict`` runs, e.g. ``'generator'``) or override
    :meth:`inference_network`, and implement ``loss`` or ``train_step``.

    Args:
        data_preprocessor: a :class:`RestorationDataPreprocessor` config or
            module; its ``value_range`` is the networks'.
        test_cfg: ``dict(tile=T)`` restores large images tile by tile in
            ``predict``; optional ``tile_overlap``, ``tile_blend`` and
            ``tile_batch`` as
            :func:`toolbox.models.utils.tiling.tiled_forward`;
            ``tile_norm_stats``: ``'image'`` (default: instance norms of
            every tile use the whole image's statistics,
            :mod:`toolbox.models.utils.instance_norm_stats`, seeing at most
            ``tile_stats_max_pixels``) or ``'window'`` (each tile its own).
        init_cfg: MMEngine weight initialisation config.

    ``predict`` returns the input samples with ``pred_img`` set: an RGB
    float tensor ``3×H×W`` in ``[0, 255]`` cropped to the input size.
    """

    inference_network_name = 'generator'

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=build_data_preprocessor(data_preprocessor),
            init_cfg=init_cfg)
        self.test_cfg = dict(test_cfg or {})

    def to(self, *args, **kwargs) -> nn.Module:
        """MMEngine's ``to``; with a data preprocessor that returns
        channels_last inputs (``channels_last=True``, ``tools/train.py
        --channels-last``), also every network's weights in channels_last:
        weights in the inputs' layout spare a conversion in each
        convolution. The Runner (before any DDP wrapper) and
        :func:`toolbox.apis.init_model` move the model with ``to``, so every
        algorithm gets this without code of its own."""
        model = super().to(*args, **kwargs)
        if 'memory_format' not in kwargs and getattr(
                self.data_preprocessor, 'channels_last', False):
            super().to(memory_format=torch.channels_last)
        return model

    def inference_network(self) -> nn.Module:
        """The network ``predict`` (and ``tools/infer.py``) runs."""
        return getattr(self, self.inference_network_name)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # Checkpoints of other toolboxes in a layout registered for this
        # class (toolbox/weights/adapters.py) become this model's
        # keys first, whoever loads them (MMEngine's load_from,
        # load_state_dict); the children then find their own keys.
        adapt_state_dict_in_place(self, state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """MMEngine's entry point: ``mode`` is 'loss', 'predict' or
        'tensor'."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.inference_network()(inputs)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got "
                         f'{mode!r}')

    def loss(self, inputs: torch.Tensor, data_samples: Sequence) -> dict:
        """Losses of one batch; algorithms that own ``train_step`` whole
        (GANs) do not need it."""
        raise NotImplementedError(
            f'{type(self).__name__} trains through train_step, not loss()')

    def restore(self, inputs: torch.Tensor,
                tiles: Optional[TileSettings] = None) -> torch.Tensor:
        """The final restored batch in the network's range, tile by tile
        as ``tiles`` says (default: as ``test_cfg`` says)."""
        network = self.inference_network()

        def run(x):
            return as_stage_list(network(x))[0]

        if tiles is None:
            tiles = TileSettings.from_test_cfg(self.test_cfg)
        if tiles is None:
            return run(inputs)
        # Tiles are padded like whole images (the network's divisor).
        divisor = getattr(self.data_preprocessor, 'pad_size_divisor', 1)
        return restore_tiled(run, network, inputs, divisor or 1, tiles)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[Sequence] = None,
                tiles: Optional[TileSettings] = None) -> list:
        """Restore a batch; return samples with ``pred_img`` in [0, 255].
        ``tiles``: restore tile by tile so (default: as ``test_cfg``
        says)."""
        pixels = self.data_preprocessor.denormalize(
            self.restore(inputs, tiles).float())
        crops = self.data_preprocessor.crop_padding(pixels, data_samples)
        if data_samples is None:
            data_samples = [RestorationSample() for _ in crops]
        for sample, pred in zip(data_samples, crops):
            sample.pred_img = pred.detach()
        return list(data_samples)


@STATE_DICT_ADAPTERS.register_module()
class BasicSRNetworkFile(StateDictAdapter):
    """BasicSR's ``net_g_*.pth`` (``{'params': sd, 'params_ema': sd}``)
    for every model: its ``params`` (BasicSR's default ``param_key_g``), or
    ``params_ema`` when it is the only one."""
    applies_to = RestorationModel
    layout = 'BasicSR network file'
    detect = staticmethod(is_basicsr_network_file)
    convert = staticmethod(unwrap_basicsr_network_file)
