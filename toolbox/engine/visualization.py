"""Seeing training: image grids of validation, TensorBoard when installed.

:class:`ValImageGridHook` (``default_hooks.visualization`` of
``configs/_base_/default_runtime.py``) writes, at every validation, one
grid per validation set: a row for each of its first ``num_images``
samples, the columns *input | output | target*. It takes the images from
what validation already computed (``after_val_iter``'s data batch and
outputs): no extra forward pass, and nothing is kept past the first
``num_images`` samples of each set. The grid goes to the runner's
visualizer, so every vis backend gets it; with the local backend it is
``<work_dir>/<timestamp>/vis_data/vis_image/val_<step>.png`` (one set) or
``val_<set name>_<step>.png`` (several), ``<step>`` being the training
iteration.

:class:`OptionalTensorboardVisBackend` is MMEngine's TensorBoard backend
that switches itself off (one log line) where TensorBoard is not installed,
so the default runtime can list it and TensorBoard logging appears as soon
as ``pip install tensorboard`` has run.

Every model of the toolbox validates through
``RestorationModel.predict`` (``toolbox/models/algorithms/base.py``; the
Restorer, Uni-Removal KT/DA, and a GAN's inference generator), which
returns the samples with ``pred_img`` (RGB, ``[0, 255]``) and, where the set
has references, ``gt_img``; the inputs are the data batch's ``inputs``
(RGB, ``[0, 255]``, before the data preprocessor).
"""
import re
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.visualization import TensorboardVisBackend
from mmengine.visualization.vis_backend import force_init_env

from toolbox.registry import HOOKS, VISBACKENDS

#: Grey of a cell with no image (a set without references has no target).
EMPTY_CELL = 128


def to_uint8_image(image) -> np.ndarray:
    """A ``3×H×W`` RGB tensor or array in ``[0, 255]`` as ``H×W×3`` uint8
    (clamped and rounded; NaN is 0)."""
    if isinstance(image, torch.Tensor):
        image = image.detach().float().cpu().numpy()
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = np.repeat(image[None], 3, axis=0)
    if image.shape[0] == 1:
        image = np.repeat(image, 3, axis=0)
    # A diverged model's NaN pixels are drawn black, not cast blindly.
    image = np.nan_to_num(image, nan=0.0, posinf=255.0, neginf=0.0)
    return np.clip(np.rint(image.transpose(1, 2, 0)), 0, 255).astype(np.uint8)


def shrink(image: np.ndarray, max_size: Optional[int]) -> np.ndarray:
    """``image`` scaled down (area interpolation) so that its longer side is
    at most ``max_size``; unchanged when it already fits or ``max_size`` is
    None."""
    if not max_size or max(image.shape[:2]) <= max_size:
        return image
    scale = max_size / max(image.shape[:2])
    size = (max(1, round(image.shape[1] * scale)),
            max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def image_grid(rows: Sequence[Sequence[Optional[np.ndarray]]]) -> np.ndarray:
    """Tile ``H×W×3`` uint8 images into one image, row by row.

    Every cell is as large as the largest image; smaller images sit in its
    top-left corner on grey, and ``None`` is an empty (grey) cell.
    """
    images = [image for row in rows for image in row if image is not None]
    if not images:
        raise ValueError('image_grid: no image to draw')
    height = max(image.shape[0] for image in images)
    width = max(image.shape[1] for image in images)
    columns = max(len(row) for row in rows)
    grid = np.full((height * len(rows), width * columns, 3), EMPTY_CELL,
                   dtype=np.uint8)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            if image is not None:
                h, w = image.shape[:2]
                grid[r * height:r * height + h,
                     c * width:c * width + w] = image
    return grid


@HOOKS.register_module()
class ValImageGridHook(Hook):
    """Write an *input | output | target* grid of the first validation
    images of each validation set, at every validation.

    Args:
        num_images: rows of each grid: the first ``num_images`` samples of
            each validation set, 0 for none (in the validation order, which
            the ``DefaultSampler(shuffle=False)`` of every config keeps fixed,
            so the rows are the same images at every validation). Under
            DDP the samples are those of rank 0, the only rank that writes.
        max_size: a longer side above this is scaled down to it in the grid
            (full-size test images would make grids of tens of megapixels);
            ``None`` keeps every image at its size.
        name: the prefix of the images' names (``val`` →
            ``val_<step>.png``, ``val_<set name>_<step>.png``).

    ``num_images=0`` turns it off (``--cfg-options
    default_hooks.visualization.num_images=0``: MMEngine's runner accepts
    ``None`` only for its own default hooks).
    """

    priority = 'LOW'

    def __init__(self, num_images: int = 4, max_size: Optional[int] = 512,
                 name: str = 'val'):
        if int(num_images) < 0:
            raise ValueError(
                f'ValImageGridHook: num_images must be >= 0, got {num_images}')
        self.num_images = int(num_images)
        self.max_size = max_size
        self.name = name
        self._rows: Dict[str, List[list]] = {}

    def before_val(self, runner) -> None:
        """Forget the images of the previous validation."""
        self._rows = {}

    @staticmethod
    def _set_name(runner) -> str:
        # MultiValLoop says which of its sets runs now; MMEngine's ValLoop
        # has a single set.
        loop = runner.val_loop  # built: validation is running
        return getattr(loop, 'current_set_name', None) or ''

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        """Keep the images of this batch while the set has rows left."""
        if (not self.num_images or not is_main_process() or not outputs
                or data_batch is None):
            return
        rows = self._rows.setdefault(self._set_name(runner), [])
        if len(rows) >= self.num_images:
            return
        inputs = data_batch.get('inputs') if isinstance(
            data_batch, dict) else None
        for index, sample in enumerate(outputs):
            if len(rows) >= self.num_images:
                break
            pred = getattr(sample, 'pred_img', None)
            if pred is None:
                continue
            source = None
            if inputs is not None and index < len(inputs):
                source = inputs[index]
            target = getattr(sample, 'gt_img', None)
            rows.append([
                None if cell is None else shrink(to_uint8_image(cell),
                                                 self.max_size)
                for cell in (source, pred, target)
            ])

    def after_val_epoch(self, runner, metrics=None) -> None:
        """Write one grid per validation set to the visualizer."""
        if not is_main_process():
            return
        for set_name, rows in self._rows.items():
            if not rows:
                continue
            if all(row[2] is None for row in rows):
                rows = [row[:2] for row in rows]  # no references: 2 columns
            # A set name is a file name here ('rain/test' would be a
            # folder the backend does not make).
            safe = re.sub(r'[^\w.-]+', '_', set_name)
            name = f'{self.name}_{safe}' if set_name else self.name
            runner.visualizer.add_image(name, image_grid(rows),
                                        step=runner.iter)
        self._rows = {}


@VISBACKENDS.register_module()
class OptionalTensorboardVisBackend(TensorboardVisBackend):
    """MMEngine's :class:`TensorboardVisBackend` where TensorBoard is
    installed; elsewhere it logs once that it is off and records nothing
    (``pip install tensorboard`` turns it on; then
    ``tensorboard --logdir <work_dir>``)."""

    def _init_env(self):
        try:
            super()._init_env()
        except Exception as error:  # ImportError, or a broken install
            self._tensorboard = None
            print_log(
                'TensorBoard logging is off (torch.utils.tensorboard: '
                f'{error}); `pip install tensorboard` turns it on. Scalars '
                'and images are still written under vis_data/.',
                logger='current')

    @property  # type: ignore
    @force_init_env
    def experiment(self):
        """The SummaryWriter, or None without TensorBoard."""
        return self._tensorboard

    @force_init_env
    def add_config(self, config, **kwargs) -> None:
        """Record the config (when TensorBoard is installed)."""
        if self._tensorboard is not None:
            super().add_config(config, **kwargs)

    @force_init_env
    def add_image(self, name: str, image: np.ndarray, step: int = 0,
                  **kwargs) -> None:
        """Record an RGB image (when TensorBoard is installed)."""
        if self._tensorboard is not None:
            super().add_image(name, image, step, **kwargs)

    @force_init_env
    def add_scalar(self, name: str, value, step: int = 0, **kwargs) -> None:
        """Record a scalar (when TensorBoard is installed)."""
        if self._tensorboard is not None:
            super().add_scalar(name, value, step, **kwargs)

    @force_init_env
    def add_scalars(self, scalar_dict: dict, step: int = 0,
                    file_path: Optional[str] = None, **kwargs) -> None:
        """Record scalars (when TensorBoard is installed)."""
        if self._tensorboard is not None:
            super().add_scalars(scalar_dict, step, file_path, **kwargs)

    def close(self):
        """Close the writer, if any."""
        if getattr(self, '_tensorboard', None) is not None:
            self._tensorboard.close()


__all__ = ['ValImageGridHook', 'OptionalTensorboardVisBackend',
           'image_grid', 'to_uint8_image', 'shrink']
