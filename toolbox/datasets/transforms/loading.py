"""Image loading: any file OpenCV reads → 8-bit RGB, once, clear errors."""
import warnings
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.fileio import get

from toolbox.datasets.listing import LMDBError, lmdb_backend
from toolbox.registry import TRANSFORMS


class ImageReadError(IOError):
    """An image file could not be read or decoded (the message names it)."""


class AnimatedImageWarning(UserWarning):
    """An animated image (a GIF of several frames) of which only the first
    frame is read."""


_GIF_SIGNATURES = (b'GIF87a', b'GIF89a')


def _skip_sub_blocks(content: bytes, pos: int) -> int:
    """The position after the GIF data sub-blocks at ``pos`` (each a size
    byte and that many bytes; a size of 0 ends them)."""
    while pos < len(content) and content[pos]:
        pos += content[pos] + 1
    return pos + 1


def gif_frame_count(content: bytes) -> int:
    """The number of frames (image descriptors) of the GIF ``content``.

    Walks the blocks of the GIF 89a layout without decoding any pixels
    (cheap for long animations, which OpenCV would decode in full); a
    truncated file counts the frames it holds. 0 for bytes that are not a
    GIF.
    """
    if content[:6] not in _GIF_SIGNATURES or len(content) < 13:
        return 0
    pos = 13  # signature (6) and logical screen descriptor (7)
    if content[10] & 0x80:  # global colour table: 3 × 2^(n+1) bytes
        pos += 3 << ((content[10] & 0x07) + 1)
    frames = 0
    while pos < len(content):
        block = content[pos]
        if block == 0x2C:  # image descriptor: one frame
            frames += 1
            packed = content[pos + 9] if pos + 9 < len(content) else 0
            pos += 10
            if packed & 0x80:  # local colour table
                pos += 3 << ((packed & 0x07) + 1)
            pos = _skip_sub_blocks(content, pos + 1)  # after LZW code size
        elif block == 0x21:  # extension: label, then sub-blocks
            pos = _skip_sub_blocks(content, pos + 2)
        else:  # 0x3B trailer, or damage: stop counting
            break
    return frames


class SizeMismatchError(ValueError):
    """A degraded image and its target differ in size (the message names
    both files)."""


def to_uint8_rgb(img: np.ndarray, path: str = '<array>') -> np.ndarray:
    """Convert a decoded image to the toolbox's ``H×W×3`` uint8 RGB convention.

    * grayscale (``H×W`` or ``H×W×1``) is replicated to three channels;
    * grayscale + alpha drops alpha, then is replicated;
    * RGBA drops alpha (restoration targets have no transparency);
    * 16-bit is scaled by 255/65535 and rounded (keeps the full range);
    * float images are expected in ``[0, 1]``.

    The input is expected in RGB(A) channel order.
    """
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3:
        raise ImageReadError(f'{path}: unsupported image shape {img.shape}')
    channels = img.shape[2]
    if channels in (1, 2):
        img = np.repeat(img[..., :1], 3, axis=2)
    elif channels == 4:
        img = img[..., :3]
    elif channels != 3:
        raise ImageReadError(
            f'{path}: unsupported number of channels {channels}')
    if img.dtype == np.uint8:
        return np.ascontiguousarray(img)
    if img.dtype == np.uint16:
        return np.round(img.astype(np.float32) * (255.0 / 65535.0)).astype(
            np.uint8)
    if np.issubdtype(img.dtype, np.floating):
        return np.round(np.clip(img, 0, 1) * 255.0).astype(np.uint8)
    raise ImageReadError(f'{path}: unsupported pixel type {img.dtype}')


def _lmdb_get(key: str, db_path: str) -> bytes:
    """Read a key through one cached ``LmdbBackend`` per database and
    process (opened lazily, so each dataloader worker opens its own)."""
    value = lmdb_backend(db_path).get(key)
    if value is None:
        raise ImageReadError(f'Key {key!r} is not in LMDB {db_path}')
    return value


def read_image(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read ``path`` (a file, or a key of the backend) as uint8 RGB."""
    try:
        if backend_args and backend_args.get('backend') == 'lmdb':
            content = _lmdb_get(path, backend_args['db_path'])
        else:
            content = get(path, backend_args=backend_args)
    except (ImageReadError, LMDBError):
        raise
    except FileNotFoundError as error:
        raise ImageReadError(f'Image file not found: {path}') from error
    except Exception as error:  # LMDB/IO errors: say which item failed
        raise ImageReadError(f'Cannot read {path}: {error}') from error
    if content is None or len(content) == 0:
        raise ImageReadError(f'Image file is empty (0 bytes): {path}')
    return decode_image(content, path, backend_args)


def decode_stored(content: bytes, where: str = '<bytes>') -> np.ndarray:
    """Decode an encoded image fully, as stored (OpenCV's BGR(A) order,
    8/16 bits), checked by the toolbox's one rule for readable images.

    The rule, shared by the folder loader (:func:`read_image`),
    :func:`~toolbox.datasets.lmdb_utils.create_lmdb` and its ``verify``:
    the whole file decodes (``cv2.imdecode``, which, unlike ``cv2.imread``,
    fails on a truncated JPEG instead of filling its missing part with one
    flat colour) into an image :func:`to_uint8_rgb` accepts.

    An animated GIF decodes as its first frame (OpenCV's reading, and what
    a single-image tool shows), with an :class:`AnimatedImageWarning`
    naming ``where`` and its frame count: in a folder and alone alike.

    Raises:
        ImageReadError: naming ``where``.
    """
    if content is None or len(content) == 0:
        raise ImageReadError(f'Image file is empty (0 bytes): {where}')
    img = mmcv.imfrombytes(content, flag='unchanged')
    if img is None:
        raise ImageReadError(
            f'Cannot decode image {where}: the file is truncated, corrupt or '
            'not an image format OpenCV reads')
    to_uint8_rgb(img, where)  # channels and pixel type
    frames = gif_frame_count(content)
    if frames > 1:
        warnings.warn(
            f'{where} is an animated GIF of {frames} frames: only its first '
            'frame is read (to use every frame, extract them first, '
            'e.g. ffmpeg -i in.gif frames/%04d.png)', AnimatedImageWarning,
            stacklevel=2)
    return img


def decode_image(content: bytes, path: str = '<bytes>',
                 backend_args: Optional[dict] = None) -> np.ndarray:
    """Decode an encoded image fully into uint8 RGB (:func:`decode_stored`'s
    rule), naming the file (or the key and its LMDB) when it fails."""
    where = path
    if backend_args and backend_args.get('backend') == 'lmdb':
        where = f'key {path!r} of LMDB {backend_args["db_path"]}'
    img = decode_stored(content, where)
    # flag='unchanged' keeps 16 bits and alpha, but then mmcv leaves OpenCV's
    # BGR(A) order as it is (it converts only with flag='color'): swap here.
    if img.ndim == 3 and img.shape[2] in (3, 4):
        img = img[..., [2, 1, 0] + ([3] if img.shape[2] == 4 else [])]
    return to_uint8_rgb(img, path)


@TRANSFORMS.register_module()
class LoadImageFromFile(BaseTransform):
    """Load ``results[f'{key}_path']`` into ``results[key]`` (uint8 RGB).

    Any file OpenCV reads becomes ``H×W×3`` uint8 RGB (grayscale is
    replicated, alpha dropped, 16-bit scaled by 1/257 and rounded); an
    unreadable, truncated or empty file raises :class:`ImageReadError`
    naming it. Also stores ``ori_shape`` (for the input, ``key='img'``) or
    ``{key}_ori_shape``.

    Args:
        key: which image: ``'img'`` (degraded input), ``'gt'`` (target) or
            any other name whose path is in ``{key}_path``.
        backend_args: MMEngine file backend arguments, e.g.
            ``dict(backend='lmdb', db_path='input.lmdb')``; ``None`` reads
            local files. A sample's own ``{key}_backend_args`` (set by data
            sets that list an LMDB) takes precedence.
        check_size: for ``key='gt'``, raise :class:`SizeMismatchError`
            (naming both files) if the target's size differs from the
            already loaded input's. Set ``False`` for data sets whose target
            is legitimately larger (super-resolution).
    """

    def __init__(self, key: str = 'img', backend_args: Optional[dict] = None,
                 check_size: bool = True):
        self.key = key
        self.backend_args = backend_args
        self.check_size = check_size

    def transform(self, results: dict) -> dict:
        path_key = f'{self.key}_path'
        if path_key not in results:
            raise KeyError(
                f'LoadImageFromFile(key={self.key!r}) needs {path_key!r} in '
                f'the sample; it has {sorted(results)}')
        backend_args = results.get(f'{self.key}_backend_args') or \
            self.backend_args
        img = read_image(results[path_key], backend_args)
        if self.check_size and self.key == 'gt' and 'img' in results and \
                results['img'].shape[:2] != img.shape[:2]:
            raise SizeMismatchError(
                f'Size mismatch: input {results.get("img_path")} is '
                f'{results["img"].shape[0]}×{results["img"].shape[1]} but '
                f'target {results[path_key]} is {img.shape[0]}×'
                f'{img.shape[1]}')
        results[self.key] = img
        shape_key = 'ori_shape' if self.key == 'img' else \
            f'{self.key}_ori_shape'
        results[shape_key] = img.shape[:2]
        return results

    def __repr__(self):
        return f'{type(self).__name__}(key={self.key!r})'
