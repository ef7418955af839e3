"""Restore images with a trained model: arrays, files and folders.

    model = init_model('configs/mprnet/mprnet_derain_rain13k.py',
                       'model_deraining.pth')
    restored = restore_image(model, rgb_uint8, tile=256, tile_batch=4)
"""
import os
import os.path as osp
import re
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from toolbox.cfg_options import merge_cfg_options, read_config
from toolbox.datasets.listing import WRITE_EXTENSIONS
from toolbox.datasets.paired import scan_images
from toolbox.datasets.transforms.formatting import image_to_tensor
from toolbox.datasets.transforms.loading import ImageReadError, read_image
from toolbox.deploy.onnx_runtime import OnnxRestorer
from toolbox.engine.checkpoint import install_safe_checkpoint_loader
from toolbox.fileio import (OutputWriteError, atomic_write_bytes,
                            check_output_file, check_output_folder,
                            writing_output)
from toolbox.models.utils.tile_settings import TileSettings
from toolbox.models.utils.tiling import (DEFAULT_TILE_BATCH,
                                         DEFAULT_TILE_BLEND,
                                         DEFAULT_TILE_OVERLAP)
from toolbox.progress import progress_bar
from toolbox.registry import MODELS
from toolbox.structures import RestorationSample
from toolbox.user_errors import UserError
from toolbox.weights import load_model_weights

#: What PyTorch says when an image is too small for a network: after the
#: downsampling, a reflection padding wider than the feature map (DCD-GAN,
#: CycleGAN), or an instance normalisation of a single pixel (CycleGAN).
_TOO_SMALL = {
    'Padding size should be less than the corresponding input dimension':
        'its reflection padding is wider than the feature maps its '
        'downsampling leaves',
    'Expected more than 1 spatial element':
        'its instance normalisation needs more than one pixel after its '
        'downsampling',
}
_TOO_SMALL_PATTERN = re.compile('|'.join(map(re.escape, _TOO_SMALL)))


class ImageTooSmallError(UserError):
    """An image smaller than the network can restore.

    The message names the file (when known), its size, the smallest size
    the network takes (:func:`minimum_image_size`) and why.
    """

    def __init__(self, shape: Tuple[int, int], minimum: int, network: str,
                 why: str, path: Optional[str] = None):
        self.shape, self.minimum, self.network = shape, minimum, network
        self.why, self.path = why, path
        super().__init__(str(self))

    def __str__(self) -> str:
        height, width = self.shape
        what = self.path or 'the image'
        return (f'{what} is {height}×{width} pixels, too small for '
                f'{self.network}: it needs at least {self.minimum}×'
                f'{self.minimum} ({self.why}); enlarge the image (pad or '
                'upscale it) or leave it out')

    def for_file(self, path: str) -> 'ImageTooSmallError':
        """The same error naming ``path``."""
        return ImageTooSmallError(self.shape, self.minimum, self.network,
                                  self.why, path)


def load_model_config(config: Union[str, Config],
                      cfg_options: Optional[dict] = None) -> Config:
    """A config (file or object) with ``--cfg-options`` applied."""
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
    checkpoint (whole model, see :mod:`toolbox.weights.mmagic`)
    with the same config. A file that does not fit fails with a short
    :class:`~toolbox.weights.CheckpointMismatchError` naming it.
    Files go through the toolbox's safe loader (``weights_only=True``, see
    :mod:`toolbox.engine.checkpoint`), which this function also installs
    into MMEngine. Weights the config's own ``init_cfg`` would load are not
    loaded here: ``checkpoint`` is what counts. ``cfg_options`` overrides
    config keys (``tools/infer.py --cfg-options``); ``strict=False`` loads
    what fits (see :func:`toolbox.weights.load_model_weights`).
    """
    check_device(device)
    install_safe_checkpoint_loader()
    config = load_model_config(config, cfg_options)
    with DefaultScope.overwrite_default_scope('toolbox'):
        model = MODELS.build(config.model)
    if checkpoint is not None:
        load_model_weights(model, checkpoint, strict=strict)
    return model.to(device).eval()


def check_device(device: Union[str, torch.device]) -> None:
    """A :class:`~toolbox.user_errors.UserError` naming ``device`` when
    PyTorch cannot use it (a malformed name, a GPU that this machine or
    this build of PyTorch does not have), before any model is built: a
    tool's ``--device`` mistake is one line, not an assertion deep in
    ``torch.cuda``."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise UserError(f'device {device!r}: {error}') from None
    if parsed.type != 'cuda':
        return
    if not torch.cuda.is_available():
        raise UserError(f'device {device!r}: PyTorch sees no GPU here '
                        f'(torch {torch.__version__}; a CPU-only build?)')
    if parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise UserError(f'device {device!r}: this machine has '
                        f'{torch.cuda.device_count()} GPU(s)')


@torch.no_grad()
def restore_image(model: torch.nn.Module, image: np.ndarray,
                  tile: Optional[int] = None,
                  tile_overlap: int = DEFAULT_TILE_OVERLAP,
                  tile_blend: float = DEFAULT_TILE_BLEND,
                  tile_batch: int = DEFAULT_TILE_BATCH,
                  tile_norm_stats: Optional[str] = None) -> np.ndarray:
    """Restore one ``H×W×3`` uint8 RGB image; returns uint8 RGB.

    The model's data preprocessor normalises and pads the image and its
    ``predict`` crops the result back; with ``tile`` the network runs on
    overlapping ``tile×tile`` windows, ``tile_batch`` at a time, blended
    across ``tile_blend`` of the overlap (see
    :mod:`toolbox.models.utils.tiling`; memory stays bounded by the image,
    one accumulator and one batch of windows); the model's ``test_cfg`` is
    not changed. ``tile_norm_stats``: ``'image'`` (the default, or the
    model's ``test_cfg``) gives every window of an instance-norm network
    the whole image's statistics, ``'window'`` each its own
    (:mod:`toolbox.models.utils.instance_norm_stats`).

    Raises:
        ImageTooSmallError: the image is smaller than the network takes
            (DCD-GAN's and CycleGAN's generators: 5×5 pixels).
        ValueError: not an ``H×W×3`` uint8 array; a bad tile argument; or
            tiles smaller than the network takes.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError('restore_image expects an H×W×3 uint8 RGB array, '
                         f'got {image.dtype} {image.shape}')
    try:
        return _predict(model, image, tile, tile_overlap, tile_blend,
                        tile_batch, tile_norm_stats)
    except (RuntimeError, ValueError) as error:
        found = _TOO_SMALL_PATTERN.search(str(error))
        if found is None:
            raise
        too_small = _too_small(model, image.shape[:2], tile,
                               _TOO_SMALL[found.group(0)])
        if too_small is None:  # not the image's size: keep the original
            raise
        raise too_small from error


def minimum_image_size(model: torch.nn.Module,
                       limit: int = 64) -> Optional[int]:
    """The smallest side ``s`` of the ``s×s`` images ``model`` restores.

    Found by restoring blank images of 1×1, 2×2, ... pixels (a few
    forwards of tiny images; DCD-GAN's and CycleGAN's generators need
    5×5, after the data preprocessor pads to a multiple of 4, since their
    reflection paddings and instance normalisations need more than one
    pixel after two downsamplings); ``None`` when none up to ``limit``
    restores. 1 for a network without a minimum (the Restorers).
    """
    for side in range(1, limit + 1):
        try:
            _predict(model, np.zeros((side, side, 3), np.uint8))
        except (RuntimeError, ValueError) as error:
            if _TOO_SMALL_PATTERN.search(str(error)) is None:
                raise
            continue
        return side
    return None


def _too_small(model: torch.nn.Module, shape: Tuple[int, int],
               tile: Optional[int], why: str) -> Optional[Exception]:
    """The error for an image of ``shape`` (or tiles of ``tile``) smaller
    than ``model`` takes, or ``None`` when neither is."""
    minimum = minimum_image_size(model)
    if minimum is None:
        return None
    name = type(model).__name__
    if min(shape) < minimum:
        return ImageTooSmallError(tuple(shape), minimum, name, why)
    if tile and tile < minimum:
        return ValueError(f'tiles of {tile}×{tile} pixels are too small for '
                          f'{name}: it needs at least {minimum}×{minimum} '
                          f'({why}); use a larger --tile')
    return None


@torch.no_grad()
def _predict(model: torch.nn.Module, image: np.ndarray,
             tile: Optional[int] = None,
             tile_overlap: int = DEFAULT_TILE_OVERLAP,
             tile_blend: float = DEFAULT_TILE_BLEND,
             tile_batch: int = DEFAULT_TILE_BATCH,
             tile_norm_stats: Optional[str] = None) -> np.ndarray:
    """:func:`restore_image` without its checks: the model's output."""
    sample = RestorationSample(metainfo=dict(ori_shape=image.shape[:2]))
    data = model.data_preprocessor(
        dict(inputs=[image_to_tensor(image)], data_samples=[sample]),
        training=False)
    tiles = None
    if tile:
        # This call's tiles; the model's other test_cfg tile options (its
        # norm statistics, their pixel budget) apply where not given.
        asked = dict(tile=tile, tile_overlap=tile_overlap,
                     tile_blend=tile_blend, tile_batch=tile_batch)
        if tile_norm_stats is not None:
            asked['tile_norm_stats'] = tile_norm_stats
        tiles = TileSettings.from_test_cfg(
            dict(getattr(model, 'test_cfg', None) or {}, **asked))
    pred = model.predict(data['inputs'], data['data_samples'], tiles=tiles)[0]
    # In place: a 12-megapixel image makes 144 MB per float copy.
    pred = pred.pred_img.clamp_(0, 255).round_().byte().permute(1, 2, 0)
    return pred.cpu().numpy()


def _refuse_writing_into_input(src: str, dst: str, jobs) -> None:
    """A :class:`~toolbox.user_errors.UserError` when ``dst`` is the
    input folder or inside it, or an output would replace an input."""
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


def _write_image(path: str, image: np.ndarray,
                 option: str = '--output') -> None:
    """Write the RGB uint8 ``image`` to ``path`` in the format of its
    extension, atomically (:func:`~toolbox.fileio.atomic_write_bytes`: the
    file is the old one or the whole new one, never a truncated image).

    Encoding and writing are separate steps so that their failures say
    different things (``cv2.imwrite`` returns ``False`` for both): an
    encoder this OpenCV lacks, or a disk that refuses the bytes
    (:class:`~toolbox.fileio.OutputWriteError`: full, read-only, ...).
    """
    import cv2

    extension = osp.splitext(path)[1]
    try:  # OpenCV encodes BGR
        ok, encoded = cv2.imencode(extension,
                                   np.ascontiguousarray(image[..., ::-1]))
    except cv2.error:
        ok = False
    if not ok:
        raise UserError(f'could not write {path}: OpenCV {cv2.__version__} '
                        f'cannot encode {extension} images; choose another '
                        f'{option} extension (.png is lossless)')
    with writing_output(path, option):
        atomic_write_bytes(encoded.tobytes(), path)


def _written_note(written: List[str], total: int) -> str:
    """Which images a folder run wrote before a write failed."""
    if not written:
        return f'none of the {total} images was written'
    names = written if len(written) <= 3 else written[:2] + ['…',
                                                             written[-1]]
    return (f'{len(written)} of {total} images were written before it '
            f'({", ".join(names)}); the other {total - len(written)} were '
            'not written')


def restore_path(model: Union[torch.nn.Module, OnnxRestorer], src: str,
                 dst: str,
                 tile: Optional[int] = None,
                 tile_overlap: int = DEFAULT_TILE_OVERLAP,
                 progress: bool = True,
                 bad_files: Optional[list] = None,
                 tile_blend: float = DEFAULT_TILE_BLEND,
                 tile_batch: int = DEFAULT_TILE_BATCH,
                 into_input: bool = False,
                 tile_norm_stats: Optional[str] = None) -> int:
    """Restore an image file, or every image in a folder (recursively).

    ``model`` is a toolbox model (:func:`init_model`, restored by
    :func:`restore_image`) or an exported file in ONNX Runtime
    (:class:`~toolbox.deploy.onnx_runtime.OnnxRestorer`, restored by its
    ``restore_image``; ``tile_norm_stats`` does not apply there).

    A folder ``src`` is written to the folder ``dst`` with the same relative
    paths, as PNG (lossless). A file ``src`` is written to ``dst``, or into
    it when ``dst`` is an existing folder or ends with a separator. Returns
    the number of images written; folders show a progress bar on a terminal.
    Each image is written atomically (never half a file).

    ``bad_files``: a list to collect ``(path, problem)`` of the images of
    a folder that do not decode or are too small for the network
    (:class:`ImageTooSmallError`); they are skipped and every other image
    is restored. Without it the first such image raises
    :class:`~toolbox.datasets.transforms.loading.ImageReadError` (or
    :class:`ImageTooSmallError`; a single file too small always raises).
    The output is checked before anything runs: a folder input needs a
    folder (not a file) as ``dst``, a file input an extension OpenCV
    writes, ``dst`` may not be (or lie inside) the input folder, nor be the
    input file, unless ``into_input`` (the originals would be overwritten,
    or restored again by the next run), and its folder must be creatable
    and writable (:func:`~toolbox.fileio.check_output_folder`). A write
    the disk refuses later (full, quota) raises
    :class:`~toolbox.fileio.OutputWriteError` naming the file and, for a
    folder, the images written before it.
    """

    if osp.isdir(src) and osp.isfile(dst):
        raise UserError(f'--output {dst} is a file, but the input {src} is a '
                        'folder: name a folder for the restored images')
    folder = osp.isdir(src)
    if folder:
        images = scan_images(src)
        if not images:
            raise FileNotFoundError(f'No images found in folder {src}')
        jobs = [(path, osp.join(dst, key + '.png'))
                for key, path in images.items()]
    elif osp.isfile(src):
        into_folder = osp.isdir(dst) or dst.endswith(('/', os.sep))
        name = osp.splitext(osp.basename(src))[0] + '.png'
        jobs = [(src, osp.join(dst, name) if into_folder else dst)]
        if not into_folder and not dst.lower().endswith(WRITE_EXTENSIONS):
            raise UserError(
                f'--output {dst}: {osp.splitext(dst)[1] or "no extension"} is '
                'not an image format the toolbox writes; use one of '
                f'{", ".join(WRITE_EXTENSIONS)} (or a folder, ending with /)')
    else:
        raise FileNotFoundError(f'Input image or folder not found: {src}')
    if not into_input:
        _refuse_writing_into_input(src, dst, jobs)
    # Before the work: a read-only disk or a file in the way stops it now.
    if folder:
        check_output_folder(dst, '--output')
    else:
        check_output_file(jobs[0][1], '--output')
    written = []
    for path, out in progress_bar(jobs, desc='restoring', unit='img',
                                  enabled=progress and len(jobs) > 1):
        try:
            image = read_image(path)
            if isinstance(model, OnnxRestorer):
                restored = model.restore_image(image, tile, tile_overlap,
                                               tile_blend, tile_batch)
            else:
                restored = restore_image(model, image, tile, tile_overlap,
                                         tile_blend, tile_batch,
                                         tile_norm_stats)
        except ImageReadError as error:
            if bad_files is None:
                raise
            bad_files.append((path, str(error)))
            continue
        except ImageTooSmallError as error:
            if bad_files is None or not folder:
                raise error.for_file(path) from error
            bad_files.append((path, str(error)))  # the line names the file
            continue
        try:
            _write_image(out, restored)
        except OutputWriteError as error:
            if not folder:
                raise
            # Stop: the next images would meet the same disk.
            raise error.with_context(note=_written_note(
                written, len(jobs))) from error
        written.append(out)
    return len(written)
