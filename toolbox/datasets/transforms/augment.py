"""Geometric augmentation applied identically to every image of a sample."""
import random
from typing import Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from toolbox.datasets.transforms.loading import SizeMismatchError
from toolbox.registry import TRANSFORMS


def _where(results: dict) -> str:
    return results.get('img_path', '<sample>')


@TRANSFORMS.register_module()
class PairedRandomCrop(BaseTransform):
    """Crop the same window from the input and its target(s).

    Args:
        crop_size: size of the crop of the *target* (int or (h, w)).
        keys: images to crop; the first is the input (``'img'``).
        scale: target size / input size (1 for restoration; >1 when the
            target is larger, e.g. super-resolution). The input window is
            ``crop_size / scale`` at the matching position.
    """

    def __init__(self, crop_size: Union[int, Sequence[int]],
                 keys: Sequence[str] = ('img', 'gt'), scale: int = 1):
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        self.crop_h, self.crop_w = crop_size
        self.keys = list(keys)
        self.scale = scale
        if self.crop_h % scale or self.crop_w % scale:
            raise ValueError(
                f'crop_size {crop_size} must be a multiple of scale {scale}')

    def transform(self, results: dict) -> dict:
        img_key, other_keys = self.keys[0], self.keys[1:]
        in_h, in_w = results[img_key].shape[:2]
        for key in other_keys:
            h, w = results[key].shape[:2]
            if (h, w) != (in_h * self.scale, in_w * self.scale):
                raise SizeMismatchError(
                    f'Size mismatch in {_where(results)}: {img_key} is '
                    f'{in_h}×{in_w} but {key} ({results.get(key + "_path")}) '
                    f'is {h}×{w} (expected scale {self.scale}).')
        crop_h, crop_w = self.crop_h // self.scale, self.crop_w // self.scale
        if in_h < crop_h or in_w < crop_w:
            raise ValueError(
                f'{_where(results)} is {in_h}×{in_w}, smaller than the crop '
                f'{crop_h}×{crop_w}; lower crop_size or pad the images.')
        top = random.randint(0, in_h - crop_h)
        left = random.randint(0, in_w - crop_w)
        results[img_key] = results[img_key][top:top + crop_h,
                                            left:left + crop_w]
        s = self.scale
        for key in other_keys:
            results[key] = results[key][top * s:(top + crop_h) * s,
                                        left * s:(left + crop_w) * s]
        return results


@TRANSFORMS.register_module()
class Flip(BaseTransform):
    """Flip every image in ``keys`` together with probability ``flip_prob``.

    Args:
        keys: images to flip.
        direction: ``'horizontal'`` or ``'vertical'``.
        flip_prob: probability of flipping.
    """

    def __init__(self, keys: Sequence[str] = ('img', 'gt'),
                 direction: str = 'horizontal', flip_prob: float = 0.5):
        if direction not in ('horizontal', 'vertical'):
            raise ValueError(
                f"direction must be 'horizontal' or 'vertical', got "
                f'{direction!r}')
        self.keys, self.direction, self.flip_prob = list(keys), direction, \
            flip_prob

    def transform(self, results: dict) -> dict:
        if random.random() < self.flip_prob:
            axis = 1 if self.direction == 'horizontal' else 0
            for key in self.keys:
                if key in results:
                    results[key] = np.flip(results[key], axis=axis)
        return results


@TRANSFORMS.register_module()
class RandomTranspose(BaseTransform):
    """Transpose H and W of every image in ``keys`` together (with Flip this
    gives all eight 90° rotations/reflections)."""

    def __init__(self, keys: Sequence[str] = ('img', 'gt'),
                 prob: float = 0.5):
        self.keys, self.prob = list(keys), prob

    def transform(self, results: dict) -> dict:
        if random.random() < self.prob:
            for key in self.keys:
                if key in results:
                    results[key] = np.swapaxes(results[key], 0, 1)
        return results


@TRANSFORMS.register_module()
class RandomRotate90(BaseTransform):
    """Rotate every image in ``keys`` by the same random multiple of 90°
    (chosen uniformly from 0°, 90°, 180°, 270° with probability ``prob``,
    else 0°)."""

    def __init__(self, keys: Sequence[str] = ('img', 'gt'),
                 prob: float = 1.0):
        self.keys, self.prob = list(keys), prob

    def transform(self, results: dict) -> dict:
        if random.random() < self.prob:
            turns = random.randint(0, 3)
            for key in self.keys:
                if key in results:
                    results[key] = np.rot90(results[key], turns, axes=(0, 1))
        return results


@TRANSFORMS.register_module()
class PadToMultiple(BaseTransform):
    """Pad every image in ``keys`` at the bottom/right to a multiple of
    ``divisor`` (reflection, as the data preprocessor pads at test time) and
    record ``padding=(pad_h, pad_w)`` so outputs can be cropped back.

    The data preprocessor already pads batches for the network; use this
    where a pipeline itself must produce divisible sizes.
    """

    def __init__(self, divisor: int = 8, keys: Sequence[str] = ('img', ),
                 mode: str = 'reflect'):
        if divisor < 1:
            raise ValueError(f'divisor must be >= 1, got {divisor}')
        self.divisor, self.keys, self.mode = divisor, list(keys), mode

    def transform(self, results: dict) -> dict:
        h, w = results[self.keys[0]].shape[:2]
        pad_h = (-h) % self.divisor
        pad_w = (-w) % self.divisor
        if self.mode == 'reflect' and (pad_h >= h or pad_w >= w):
            mode = 'symmetric'  # reflect needs the pad smaller than the side
        else:
            mode = self.mode
        for key in self.keys:
            if key in results:
                results[key] = np.pad(results[key],
                                      ((0, pad_h), (0, pad_w), (0, 0)),
                                      mode=mode)
        results['padding'] = (pad_h, pad_w)
        return results
