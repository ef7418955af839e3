"""Restore images with a trained model: arrays, files and folders."""
import os
import os.path as osp
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from toolbox.datasets.paired import scan_images
from toolbox.datasets.transforms.formatting import image_to_tensor
from toolbox.datasets.transforms.loading import read_image
from toolbox.registry import MODELS
from toolbox.structures import RestorationSample


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu') -> torch.nn.Module:
    """Build the config's model and load ``checkpoint`` into it.

    ``checkpoint`` may be a toolbox checkpoint or a generator-only state
    dict such as an official release (see :class:`Restorer`). It goes
    through the toolbox's safe loader (``weights_only=True``).
    """
    import toolbox.engine  # noqa: F401  (installs the safe checkpoint loader)
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    with DefaultScope.overwrite_default_scope('toolbox'):
        model = MODELS.build(cfg.model)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'Checkpoint file not found: {checkpoint}')
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                        logger='silent')
    return model.to(device).eval()


@torch.no_grad()
def restore_image(model: torch.nn.Module, image: np.ndarray,
                  tile: Optional[int] = None,
                  tile_overlap: int = 32) -> np.ndarray:
    """Restore one ``H×W×3`` uint8 RGB image; returns uint8 RGB."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError('restore_image expects an H×W×3 uint8 RGB array, '
                         f'got {image.dtype} {image.shape}')
    if tile:
        model.test_cfg = dict(getattr(model, 'test_cfg', {}), tile=tile,
                              tile_overlap=tile_overlap)
    sample = RestorationSample(metainfo=dict(ori_shape=image.shape[:2]))
    data = model.data_preprocessor(
        dict(inputs=[image_to_tensor(image)], data_samples=[sample]))
    pred = model.predict(data['inputs'], data['data_samples'])[0].pred_img
    pred = pred.clamp(0, 255).round().byte().permute(1, 2, 0)
    return pred.cpu().numpy()


def restore_path(model: torch.nn.Module, src: str, dst: str,
                 tile: Optional[int] = None, tile_overlap: int = 32,
                 progress: bool = True) -> int:
    """Restore a file, or every image of a folder (recursively) into ``dst``.

    Returns the number of images written. Folder outputs keep the relative
    paths (as PNG, lossless).
    """
    import cv2
    from tqdm import tqdm
    if osp.isdir(src):
        images = scan_images(src)
        if not images:
            raise FileNotFoundError(f'No images found in {src}')
        jobs = [(path, osp.join(dst, key + '.png'))
                for key, path in images.items()]
    elif osp.isfile(src):
        out = osp.join(dst, osp.splitext(osp.basename(src))[0] + '.png') \
            if osp.isdir(dst) or dst.endswith(os.sep) else dst
        jobs = [(src, out)]
    else:
        raise FileNotFoundError(f'Input not found: {src}')
    for path, out in tqdm(jobs, desc='restoring',
                          disable=not progress or len(jobs) == 1):
        restored = restore_image(model, read_image(path), tile, tile_overlap)
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        if not cv2.imwrite(out, restored[..., ::-1]):
            raise OSError(f'Could not write {out}')
    return len(jobs)
