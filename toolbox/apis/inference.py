"""Restore images with a trained model: arrays, files and folders.

    model = init_model('configs/mprnet/mprnet_derain_rain13k.py',
                       'model_deraining.pth')
    restored = restore_image(model, rgb_uint8, tile=256, tile_overlap=32)
"""
import os
import os.path as osp
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from toolbox.registry import MODELS


def load_model_config(config: Union[str, Config],
                      cfg_options: Optional[dict] = None) -> Config:
    """A config (file or object) with ``--cfg-options`` applied."""
    if isinstance(config, str):
        if not osp.isfile(config):
            raise FileNotFoundError(f'Config file not found: {config}')
        config = Config.fromfile(config)
    if cfg_options:
        config.merge_from_dict(cfg_options)
    return config


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the config's model, load ``checkpoint`` strictly, set eval mode.

    ``checkpoint`` may be a toolbox checkpoint of the same model, a work dir
    (its newest checkpoint), or a network-only state dict such as an
    official release, which is loaded into the model's *inference network*
    (the network ``predict`` runs: a Restorer's ``generator``, a GAN's
    generator of ``test_cfg.direction``). Examples: MPRNet's
    ``model_deblurring.pth`` (``{'state_dict': ...}``, keys optionally
    ``module.``-prefixed) with ``configs/mprnet/mprnet_deblur_gopro.py``;
    CycleGAN's ``latest_net_G_A.pth`` (a raw state dict) with
    ``configs/cyclegan/cyclegan_resnet9_unpaired.py``; an MMagic CycleGAN
    checkpoint (whole model, see :mod:`toolbox.engine.checkpoint_formats`)
    with the same config. A file that does not fit fails with a short
    :class:`~toolbox.engine.checkpoint.CheckpointMismatchError` naming it.
    Files go through the toolbox's safe loader (``weights_only=True``, see
    :mod:`toolbox.engine.checkpoint`), which this function also installs
    into MMEngine. Weights the config's own ``init_cfg`` would load are not
    loaded here: ``checkpoint`` is what counts. ``cfg_options`` overrides
    config keys (``tools/infer.py --cfg-options``).
    """
    from mmengine.logging import print_log

    from toolbox.engine.checkpoint import (CheckpointMismatchError,
                                           extract_state_dict,
                                           find_checkpoint,
                                           install_safe_checkpoint_loader,
                                           load_checkpoint_file,
                                           load_state_dict_strictly)
    from toolbox.engine.checkpoint_formats import adapt_state_dict
    from toolbox.models.layers.norm import drop_untracked_norm_stats
    install_safe_checkpoint_loader()
    config = load_model_config(config, cfg_options)
    with DefaultScope.overwrite_default_scope('toolbox'):
        model = MODELS.build(config.model)
    if checkpoint is not None:
        filename = find_checkpoint(checkpoint)
        state = extract_state_dict(load_checkpoint_file(filename, 'cpu'),
                                   prefix=None)
        # Another toolbox's layout of this model (an MMagic CycleGAN, ...)
        # becomes the model's own keys (toolbox/engine/checkpoint_formats.py).
        try:
            state, note = adapt_state_dict(model, state)
        except ValueError as error:
            raise CheckpointMismatchError(f'{filename}: {error}') from error
        if note:
            print_log(note, logger='current')
        # A file of the whole model (its own keys) loads into the model; a
        # network-only file (an official release) into the network that
        # runs, minus the instance-norm statistics old releases carry.
        model_keys = set(model.state_dict())
        if any(key in model_keys for key in state) or not hasattr(
                model, 'inference_network'):
            load_state_dict_strictly(model, state, filename)
        else:
            network = model.inference_network()
            load_state_dict_strictly(
                network, drop_untracked_norm_stats(state, network), filename)
    return model.to(device).eval()


@torch.no_grad()
def restore_image(model: torch.nn.Module, image: np.ndarray,
                  tile: Optional[int] = None,
                  tile_overlap: int = 32) -> np.ndarray:
    """Restore one ``H×W×3`` uint8 RGB image; returns uint8 RGB.

    The model's data preprocessor normalises and pads the image and its
    ``predict`` crops the result back; with ``tile`` the network runs on
    overlapping ``tile×tile`` windows (see :mod:`toolbox.apis.tiling`).
    """
    from toolbox.datasets.transforms.formatting import image_to_tensor
    from toolbox.structures import RestorationSample
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError('restore_image expects an H×W×3 uint8 RGB array, '
                         f'got {image.dtype} {image.shape}')
    sample = RestorationSample(metainfo=dict(ori_shape=image.shape[:2]))
    data = model.data_preprocessor(
        dict(inputs=[image_to_tensor(image)], data_samples=[sample]),
        training=False)
    saved_test_cfg = getattr(model, 'test_cfg', None)
    if tile:
        # The Restorer tiles in predict when its test_cfg asks; set it for
        # this call only, so later untiled calls stay untiled.
        model.test_cfg = dict(saved_test_cfg or {}, tile=tile,
                              tile_overlap=tile_overlap)
    try:
        pred = model.predict(data['inputs'], data['data_samples'])[0]
    finally:
        if tile:
            model.test_cfg = saved_test_cfg
    pred = pred.pred_img.clamp(0, 255).round().byte().permute(1, 2, 0)
    return pred.cpu().numpy()


def restore_path(model: torch.nn.Module, src: str, dst: str,
                 tile: Optional[int] = None, tile_overlap: int = 32,
                 progress: bool = True) -> int:
    """Restore an image file, or every image in a folder (recursively).

    A folder ``src`` is written to the folder ``dst`` with the same relative
    paths, as PNG (lossless). A file ``src`` is written to ``dst``, or into
    it when ``dst`` is an existing folder or ends with a separator. Returns
    the number of images written; folders show a tqdm progress bar.
    """
    import cv2
    from tqdm import tqdm

    from toolbox.datasets.paired import scan_images
    from toolbox.datasets.transforms.loading import read_image
    if osp.isdir(src):
        images = scan_images(src)
        if not images:
            raise FileNotFoundError(f'No images found in folder {src}')
        jobs = [(path, osp.join(dst, key + '.png'))
                for key, path in images.items()]
    elif osp.isfile(src):
        into_folder = osp.isdir(dst) or dst.endswith(('/', os.sep))
        name = osp.splitext(osp.basename(src))[0] + '.png'
        jobs = [(src, osp.join(dst, name) if into_folder else dst)]
    else:
        raise FileNotFoundError(f'Input image or folder not found: {src}')
    for path, out in tqdm(jobs, desc='restoring', unit='img',
                          disable=not progress or len(jobs) == 1):
        restored = restore_image(model, read_image(path), tile, tile_overlap)
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        # OpenCV writes BGR; chooses the format from the extension.
        if not cv2.imwrite(out, np.ascontiguousarray(restored[..., ::-1])):
            raise OSError(f'Could not write {out} (unknown extension?)')
    return len(jobs)
