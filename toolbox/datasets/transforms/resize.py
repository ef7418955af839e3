"""Resizing images to a fixed size (CycleGAN's ``load_size``)."""
from typing import Optional, Sequence, Union

import mmcv
from mmcv.transforms import BaseTransform

from toolbox.registry import TRANSFORMS
from toolbox.user_errors import UserError

INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize every image in ``keys`` to ``size`` (``(h, w)`` or one int).

    CycleGAN-style recipes load images at ``load_size`` (286) and crop
    ``crop_size`` (256) at random; this is the load step. Images are
    resized with OpenCV (``mmcv.imresize``); the official code uses PIL's
    bicubic filter, whose weights differ by less than a grey level.

    CUT's dataset code (which DCD-GAN's release trains with) sets
    ``load_size`` to ``crop_size`` once the learning rate decays (epochs
    after ``n_epochs``): the whole image is then resized to the crop size
    and the random crop keeps all of it. ``late_size`` and
    ``late_from_epoch`` do that: from the 0-based training epoch
    ``late_from_epoch`` on, images are resized to ``late_size`` instead.
    The epoch comes with each sample (``results['epoch']``, which a toolbox
    dataset adds once :class:`~toolbox.engine.dataset_epoch.DatasetEpochHook`
    has set it).

    Args:
        size: output size, ``(h, w)`` or an int for a square.
        keys: images to resize (each its own, e.g. ``('img', 'ref')``).
        interpolation: one of ``INTERPOLATIONS``.
        late_size: the size from epoch ``late_from_epoch`` on (``None``:
            ``size`` throughout).
        late_from_epoch: the first (0-based) epoch resized to
            ``late_size``; given with ``late_size`` or not at all.
    """

    def __init__(self, size: Union[int, Sequence[int]],
                 keys: Sequence[str] = ('img', ),
                 interpolation: str = 'bicubic',
                 late_size: Optional[Union[int, Sequence[int]]] = None,
                 late_from_epoch: Optional[int] = None):
        self.height, self.width = _size(size, 'size')
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of {INTERPOLATIONS},'
                             f' got {interpolation!r}')
        if (late_size is None) != (late_from_epoch is None):
            raise ValueError('Resize: give late_size and late_from_epoch '
                             'together (or neither)')
        self.late_size = None if late_size is None else _size(
            late_size, 'late_size')
        if late_from_epoch is not None and int(late_from_epoch) < 0:
            raise ValueError(f'Resize: late_from_epoch must be >= 0, got '
                             f'{late_from_epoch}')
        self.late_from_epoch = None if late_from_epoch is None else int(
            late_from_epoch)
        self.keys = list(keys)
        self.interpolation = interpolation

    def size_for(self, results: dict):
        """``(h, w)`` for this sample: ``late_size`` from
        ``late_from_epoch`` on."""
        if self.late_size is None:
            return self.height, self.width
        epoch = results.get('epoch')
        if epoch is None:
            raise UserError(
                f'Resize(late_from_epoch={self.late_from_epoch}): the sample '
                f'({results.get("img_path", "?")}) carries no training '
                "epoch; train with custom_hooks=[dict(type="
                "'DatasetEpochHook')] and a toolbox dataset (or call "
                'dataset.set_epoch(epoch) first)')
        if epoch >= self.late_from_epoch:
            return self.late_size
        return self.height, self.width

    def transform(self, results: dict) -> dict:
        height, width = self.size_for(results)
        for key in self.keys:
            if key not in results:
                raise KeyError(f'Resize: the sample has no {key!r} image; '
                               'load it before resizing.')
            results[key] = mmcv.imresize(
                results[key], (width, height),
                interpolation=self.interpolation)
        return results

    def __repr__(self):
        late = '' if self.late_size is None else (
            f', late_size={self.late_size}, '
            f'late_from_epoch={self.late_from_epoch}')
        return (f'{type(self).__name__}(size=({self.height}, {self.width}), '
                f'keys={self.keys}{late})')


def _size(size, name: str):
    if isinstance(size, int):
        size = (size, size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f'Resize: {name} must be (h, w) > 0, got {size!r}')
    return int(size[0]), int(size[1])
