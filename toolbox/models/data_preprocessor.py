"""The data preprocessor of restoration models: batching, range, padding.

It owns the one place where the toolbox moves between the pipeline's
``[0, 255]`` RGB tensors and the network's value range, so that models and
metrics never guess it (MMagic couples this implicitly; here it is explicit
and per config).
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from mmengine.model import BaseDataPreprocessor

from toolbox.registry import MODELS
from toolbox.tile_windows import pad_mode_for

VALUE_RANGES = ('[0,1]', '[-1,1]')


def value_range_scale(value_range: str) -> Tuple[float, float]:
    """``(scale, offset)`` with ``network = pixel / scale + offset``."""
    if value_range == '[0,1]':
        return 255.0, 0.0
    if value_range == '[-1,1]':
        return 127.5, -1.0
    raise ValueError(
        f'value_range must be one of {VALUE_RANGES}, got {value_range!r}')


def convert_range(x: torch.Tensor, src: str, dst: str) -> torch.Tensor:
    """Convert a tensor between two network value ranges."""
    if src == dst:
        return x
    src_scale, src_offset = value_range_scale(src)
    dst_scale, dst_offset = value_range_scale(dst)
    return ((x - src_offset) * src_scale) / dst_scale + dst_offset


@MODELS.register_module()
class RestorationDataPreprocessor(BaseDataPreprocessor):
    """Stack, normalise and pad restoration inputs; de-normalise outputs.

    Args:
        value_range: the network's range, ``'[0,1]'`` (``x/255``) or
            ``'[-1,1]'`` (``x/127.5 - 1``).
        pad_size_divisor: pad inputs (bottom/right) to a multiple of this in
            ``predict``/``tensor`` mode; the model crops predictions back.
            Training crops are expected to be multiples already.
        pad_mode: ``F.pad`` mode used for padding (``'reflect'`` avoids the
            dark borders a zero pad puts into restored images).
        channels_last: return inputs in ``torch.channels_last`` memory format
            (faster convolutions with bf16 autocast on CPU and on GPUs).
    """

    def __init__(self,
                 value_range: str = '[0,1]',
                 pad_size_divisor: int = 1,
                 pad_mode: str = 'reflect',
                 channels_last: bool = False,
                 non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        self.scale, self.offset = value_range_scale(value_range)
        self.value_range = value_range
        self.pad_size_divisor = int(pad_size_divisor)
        self.pad_mode = pad_mode
        self.channels_last = channels_last

    def normalize(self, pixels: torch.Tensor) -> torch.Tensor:
        """``[0, 255]`` pixels → the network's range."""
        return pixels / self.scale + self.offset

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """The network's range → ``[0, 255]`` pixels (not clamped)."""
        return (x - self.offset) * self.scale

    def stack_images(self, data_samples: Sequence, key: str = 'gt_img',
                     training: bool = True) -> torch.Tensor:
        """The normalised ``N×3×H×W`` batch of the samples' ``key`` image.

        Works for every image a sample carries besides the input
        (``gt_img``, the unpaired ``ref_img``, ...): the same range, and
        outside training the same padding as the inputs (recorded in the
        metainfo as ``padding_<key>``), so every image of a batch reaches
        the network alike.
        """
        missing = [
            s.metainfo.get('img_path', i)
            for i, s in enumerate(data_samples) if key not in s
        ]
        if missing:
            hint = ('Does the dataset pair inputs with targets?'
                    if key == 'gt_img' else
                    f'Does the pipeline load and pack {key!r}?')
            raise KeyError(
                f'The model needs {key}, but these samples have none: '
                f'{missing[:5]}. {hint}')
        images = [s.get(key).to(self.device).float() for s in data_samples]
        if training:
            batch = self._stack_same_size(images, key)
        else:
            batch, paddings = self._stack(images)
            for sample, padding in zip(data_samples, paddings):
                sample.set_metainfo({f'padding_{key}': padding})
        batch = self.normalize(batch)
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch

    def stack_gt(self, data_samples: Sequence) -> torch.Tensor:
        """The normalised ``N×3×H×W`` batch of the samples' ``gt_img``."""
        return self.stack_images(data_samples, 'gt_img')

    @staticmethod
    def _stack_same_size(images: List[torch.Tensor],
                         what: str) -> torch.Tensor:
        shapes = {tuple(im.shape) for im in images}
        if len(shapes) != 1:
            raise ValueError(
                f'Training batches must have one size (crop them in the '
                f'pipeline); got {what} shapes {sorted(shapes)}.')
        return torch.stack(images)

    def _stack(self, images: List[torch.Tensor]) -> Tuple[torch.Tensor, list]:
        """Stack images of possibly different sizes; remember each padding."""
        heights = [im.shape[-2] for im in images]
        widths = [im.shape[-1] for im in images]
        div = max(self.pad_size_divisor, 1)
        target_h = -(-max(heights) // div) * div
        target_w = -(-max(widths) // div) * div
        padded, paddings = [], []
        for im in images:
            pad_h, pad_w = target_h - im.shape[-2], target_w - im.shape[-1]
            if pad_h or pad_w:
                mode = pad_mode_for(*im.shape[-2:], pad_h, pad_w,
                                    self.pad_mode)
                im = F.pad(im[None], (0, pad_w, 0, pad_h), mode=mode)[0]
            padded.append(im)
            paddings.append((pad_h, pad_w))
        return torch.stack(padded), paddings

    def forward(self, data: dict, training: bool = False) -> dict:
        """Move to device, stack, pad (not in training) and normalise."""
        data = self.cast_data(data)
        inputs = data['inputs']
        data_samples = data.get('data_samples')
        # A list of 3×H×W tensors (pseudo_collate) or an N×3×H×W tensor.
        images = [im.float() for im in inputs]
        if training:
            batch = self._stack_same_size(images, 'input')
            paddings = [(0, 0)] * len(images)
        else:
            batch, paddings = self._stack(images)
        batch = self.normalize(batch)
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        if data_samples is not None:
            for sample, padding in zip(data_samples, paddings):
                sample.set_metainfo(dict(padding=padding))
        return dict(inputs=batch, data_samples=data_samples)

    def crop_padding(self, outputs: torch.Tensor,
                     data_samples: Optional[Sequence]) -> List[torch.Tensor]:
        """Split a batch of outputs and crop each back to its input size."""
        crops = []
        for i, out in enumerate(outputs):
            pad_h, pad_w = (0, 0)
            if data_samples is not None:
                pad_h, pad_w = data_samples[i].metainfo.get('padding', (0, 0))
            h, w = out.shape[-2] - pad_h, out.shape[-1] - pad_w
            crops.append(out[..., :h, :w])
        return crops


def build_data_preprocessor(cfg) -> BaseDataPreprocessor:
    """Build a data preprocessor from the toolbox registry.

    MMEngine's ``BaseModel`` builds dict configs from its own root registry,
    which cannot see toolbox modules outside a Runner (no default scope), so
    algorithms build theirs here and pass the module.
    """
    if cfg is None:
        cfg = dict(type='RestorationDataPreprocessor')
    if isinstance(cfg, nn.Module):
        return cfg
    return MODELS.build(cfg)
