"""Resizing images to a fixed size (CycleGAN's ``load_size``)."""
from typing import Sequence, Union

import mmcv
from mmcv.transforms import BaseTransform

from toolbox.registry import TRANSFORMS

INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize every image in ``keys`` to ``size`` (``(h, w)`` or one int).

    CycleGAN-style recipes load images at ``load_size`` (286) and crop
    ``crop_size`` (256) at random; this is the load step. Images are
    resized with OpenCV (``mmcv.imresize``); the official code uses PIL's
    bicubic filter, whose weights differ by less than a grey level.

    Args:
        size: output size, ``(h, w)`` or an int for a square.
        keys: images to resize (each its own, e.g. ``('img', 'ref')``).
        interpolation: one of ``INTERPOLATIONS``.
    """

    def __init__(self, size: Union[int, Sequence[int]],
                 keys: Sequence[str] = ('img', ),
                 interpolation: str = 'bicubic'):
        if isinstance(size, int):
            size = (size, size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'size must be (h, w) > 0, got {size!r}')
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of {INTERPOLATIONS},'
                             f' got {interpolation!r}')
        self.height, self.width = int(size[0]), int(size[1])
        self.keys = list(keys)
        self.interpolation = interpolation

    def transform(self, results: dict) -> dict:
        for key in self.keys:
            if key not in results:
                raise KeyError(f'Resize: the sample has no {key!r} image; '
                               'load it before resizing.')
            results[key] = mmcv.imresize(
                results[key], (self.width, self.height),
                interpolation=self.interpolation)
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(size=({self.height}, {self.width}), '
                f'keys={self.keys})')
