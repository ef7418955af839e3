"""Restore images with a trained model: arrays, files and folders.

    model = init_model('configs/mprnet/mprnet_derain_rain13k.py',
                       'model_deraining.pth')
    restored = restore_image(model, rgb_uint8, tile=256, tile_batch=4)
"""
import os
import os.path as osp
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from toolbox.apis.tiling import (DEFAULT_TILE_BATCH, DEFAULT_TILE_BLEND,
                                 DEFAULT_TILE_OVERLAP, check_tile_args)
from toolbox.registry import MODELS


def load_model_config(config: Union[str, Config],
                      cfg_options: Optional[dict] = None) -> Config:
    """A config (file or object) with ``--cfg-options`` applied."""
    from toolbox.engine.cfg_options import merge_cfg_options, read_config
    if isinstance(config, str):
        config = read_config(config)
    return merge_cfg_options(config, cfg_options)


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None,
               strict: bool = True) -> torch.nn.Module:
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
    config keys (``tools/infer.py --cfg-options``); ``strict=False`` loads
    what fits (see :func:`load_model_weights`).
    """
    from toolbox.engine.checkpoint import install_safe_checkpoint_loader
    install_safe_checkpoint_loader()
    config = load_model_config(config, cfg_options)
    with DefaultScope.overwrite_default_scope('toolbox'):
        model = MODELS.build(config.model)
    if checkpoint is not None:
        load_model_weights(model, checkpoint, strict=strict)
    return model.to(device).eval()


def load_model_weights(model: torch.nn.Module, checkpoint: str,
                       strict: bool = True, logger=None) -> str:
    """Load a checkpoint into a built model, strictly unless asked.

    A file of the whole model (its own keys: a toolbox checkpoint of the
    same config) loads into ``model``; a network-only file (an official
    release, CycleGAN's ``latest_net_G_A.pth``) into its *inference
    network*, minus the instance-norm statistics old releases carry. This
    is what ``tools/test.py``, ``tools/infer.py`` and :func:`init_model`
    use for every model, GANs included, instead of MMEngine's ``load_from``
    (which loads non-strictly: a checkpoint of another width would leave
    random weights behind a warning in the log). Files written under DDP
    (keys ``module.*``, or ``<network>.module.*`` for a GAN) load into a
    model in one process, and files written in one process into a model
    whose networks are wrapped (``tools/dist_test.sh``).

    Args:
        model: the built model (its networks may be DDP-wrapped).
        checkpoint: a file, a work dir or its ``last_checkpoint``.
        strict: ``True`` (default): a mismatch raises
            :class:`~toolbox.engine.checkpoint.CheckpointMismatchError`
            naming the file with the missing, unexpected and mis-shaped
            keys summarised. ``False`` (``--non-strict`` of the tools):
            load the tensors whose names and shapes fit, leave the rest as
            initialised, and log the same summary as a warning.
        logger: where the non-strict summary goes (MMEngine's current
            logger by default).

    Returns:
        The checkpoint file read.
    """
    from mmengine.logging import print_log

    from toolbox.engine.checkpoint import (CheckpointMismatchError,
                                           extract_state_dict,
                                           find_checkpoint,
                                           load_checkpoint_file,
                                           load_fitting_tensors,
                                           load_state_dict_strictly,
                                           unwrap_model, wrapper_key_map)
    from toolbox.engine.checkpoint_formats import adapt_state_dict
    from toolbox.models.layers.norm import drop_untracked_norm_stats
    filename = find_checkpoint(checkpoint)
    # Keys as the unwrapped model has them, whether the file was written
    # in one process or under DDP (toolbox/engine/checkpoint.py).
    state = extract_state_dict(load_checkpoint_file(filename, 'cpu'),
                               prefix=None)
    model = unwrap_model(model)
    # Another toolbox's layout of this model (an MMagic CycleGAN, ...)
    # becomes the model's own keys (toolbox/engine/checkpoint_formats.py).
    try:
        state, note = adapt_state_dict(model, state)
    except ValueError as error:
        raise CheckpointMismatchError(f'{filename}: {error}') from error
    if note:
        print_log(note, logger='current')
    # The model's keys without its networks' DDP wrappers (dist_test.sh).
    model_keys = set(wrapper_key_map(model))
    network = model
    if not any(key in model_keys for key in state) and hasattr(
            model, 'inference_network'):
        network = unwrap_model(model.inference_network())
        state = drop_untracked_norm_stats(state, network)
    if strict:
        load_state_dict_strictly(network, state, filename)
        return filename
    loaded, total, problem = load_fitting_tensors(network, state,
                                                  source=filename)
    if problem:
        if logger is None:
            from mmengine.logging import MMLogger
            logger = MMLogger.get_current_instance()
        logger.warning(
            f'Non-strict loading of {filename} into '
            f'{type(network).__name__}: loaded {loaded} of '
            f'{total} tensors; {problem}. The others keep their '
            'initial (random) values.')
    return filename


@torch.no_grad()
def restore_image(model: torch.nn.Module, image: np.ndarray,
                  tile: Optional[int] = None,
                  tile_overlap: int = DEFAULT_TILE_OVERLAP,
                  tile_blend: float = DEFAULT_TILE_BLEND,
                  tile_batch: int = DEFAULT_TILE_BATCH) -> np.ndarray:
    """Restore one ``H×W×3`` uint8 RGB image; returns uint8 RGB.

    The model's data preprocessor normalises and pads the image and its
    ``predict`` crops the result back; with ``tile`` the network runs on
    overlapping ``tile×tile`` windows, ``tile_batch`` at a time, blended
    across ``tile_blend`` of the overlap (see :mod:`toolbox.apis.tiling`;
    memory stays bounded by the image, one accumulator and one batch of
    windows).
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
        check_tile_args(tile, tile_overlap, tile_blend, tile_batch)
        # The Restorer tiles in predict when its test_cfg asks; set it for
        # this call only, so later untiled calls stay untiled.
        model.test_cfg = dict(saved_test_cfg or {}, tile=tile,
                              tile_overlap=tile_overlap,
                              tile_blend=tile_blend, tile_batch=tile_batch)
    try:
        pred = model.predict(data['inputs'], data['data_samples'])[0]
    finally:
        if tile:
            model.test_cfg = saved_test_cfg
    # In place: a 12-megapixel image makes 144 MB per float copy.
    pred = pred.pred_img.clamp_(0, 255).round_().byte().permute(1, 2, 0)
    return pred.cpu().numpy()


def _refuse_writing_into_input(src: str, dst: str, jobs) -> None:
    """A :class:`~toolbox.engine.errors.UserError` when ``dst`` is the
    input folder or inside it, or an output would replace an input."""
    from toolbox.engine.errors import UserError
    hint = ('choose another --output, or pass --into-input to write there '
            'anyway')
    if osp.isdir(src):
        root, out = osp.realpath(src), osp.realpath(dst)
        if out == root or out.startswith(root + os.sep):
            raise UserError(f'--output {dst} is inside the input folder '
                            f'{src}: the restored images would mix with '
                            f'(and may overwrite) the originals; {hint}')
    inputs = {osp.realpath(path) for path, _ in jobs}
    for _, out in jobs:
        if osp.realpath(out) in inputs:
            raise UserError(f'--output {dst} would overwrite the input '
                            f'{out}; {hint}')


def restore_path(model: torch.nn.Module, src: str, dst: str,
                 tile: Optional[int] = None,
                 tile_overlap: int = DEFAULT_TILE_OVERLAP,
                 progress: bool = True,
                 bad_files: Optional[list] = None,
                 tile_blend: float = DEFAULT_TILE_BLEND,
                 tile_batch: int = DEFAULT_TILE_BATCH,
                 into_input: bool = False) -> int:
    """Restore an image file, or every image in a folder (recursively).

    A folder ``src`` is written to the folder ``dst`` with the same relative
    paths, as PNG (lossless). A file ``src`` is written to ``dst``, or into
    it when ``dst`` is an existing folder or ends with a separator. Returns
    the number of images written; folders show a progress bar on a terminal.

    ``bad_files``: a list to collect ``(path, problem)`` of the images that
    do not decode; they are skipped and every readable image is restored.
    Without it the first such image raises
    :class:`~toolbox.datasets.transforms.loading.ImageReadError`. The
    output is checked before anything runs: a folder input needs a folder
    (not a file) as ``dst``, a file input an extension OpenCV writes, and
    ``dst`` may not be (or lie inside) the input folder, nor be the input
    file, unless ``into_input`` (the originals would be overwritten, or
    restored again by the next run).
    """
    import cv2
    from toolbox.progress import progress_bar

    from toolbox.datasets.listing import IMG_EXTENSIONS
    from toolbox.datasets.paired import scan_images
    from toolbox.datasets.transforms.loading import ImageReadError, read_image
    from toolbox.engine.errors import UserError
    if osp.isdir(src) and osp.isfile(dst):
        raise UserError(f'--output {dst} is a file, but the input {src} is a '
                        'folder: name a folder for the restored images')
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
        if not into_folder and not dst.lower().endswith(IMG_EXTENSIONS):
            raise UserError(
                f'--output {dst}: {osp.splitext(dst)[1] or "no extension"} is '
                'not an image format the toolbox writes; use one of '
                f'{", ".join(IMG_EXTENSIONS)} (or a folder, ending with /)')
    else:
        raise FileNotFoundError(f'Input image or folder not found: {src}')
    if not into_input:
        _refuse_writing_into_input(src, dst, jobs)
    written = 0
    for path, out in progress_bar(jobs, desc='restoring', unit='img',
                                  enabled=progress and len(jobs) > 1):
        try:
            image = read_image(path)
        except ImageReadError as error:
            if bad_files is None:
                raise
            bad_files.append((path, str(error)))
            continue
        restored = restore_image(model, image, tile, tile_overlap,
                                 tile_blend, tile_batch)
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        # OpenCV writes BGR; chooses the format from the extension.
        if not cv2.imwrite(out, np.ascontiguousarray(restored[..., ::-1])):
            raise OSError(f'Could not write {out} (unknown extension?)')
        written += 1
    return written
