"""Synthesise a paired data set from a folder of clean images."""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import cv2
import numpy as np

from toolbox.datasets.paired import scan_images
from toolbox.datasets.transforms.loading import read_image
from toolbox.degradations import SYNTHESIZERS
from toolbox.degradations.hybrid import (FDRNET_TEXT_BINS, RL_RESTORE_BINS,
                                         RL_RESTORE_SCALES,
                                         add_hybrid_distortion, hybrid_patches,
                                         patch_grid)
from toolbox.evaluation.matlab import output_size
from toolbox.progress import progress_bar
from toolbox.user_errors import UserError

KINDS = tuple(SYNTHESIZERS) + ('hybrid', )


def item_rng(seed: int, key: str) -> np.random.Generator:
    """A generator for one item, from the seed and the item's name, so the
    output does not depend on the order (or parallelism) of the work.

    Every byte of the name counts (NumPy seeds from integers of any size).
    Names of at most 8 ASCII characters give the same generator as the
    first version, which reduced the name modulo 2⁶³ and so kept only its
    first 8 bytes: longer names that shared them (``Rain_Heavy/…``, the
    crops ``0801_0000_0096`` and ``0801_0000_0192``) shared a generator.
    """
    return np.random.default_rng([seed, int.from_bytes(key.encode(),
                                                       'little')])


def write_rgb(path: str, rgb: np.ndarray) -> None:
    """Write a uint8 RGB image (its folder made if needed); an
    :class:`OSError` naming ``path`` if OpenCV cannot."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f'Could not write {path}')


#: How many files a one-line error names before it counts the rest.
LISTED = 10


def _user_error(message: str):
    # Imported here: toolbox.engine (torch, MMEngine's runner) is more than
    # the synthesis needs to load.
    return UserError(message)


def _named(items) -> str:
    """``items`` joined with ``, ``: the first :data:`LISTED`, then the
    count."""
    items = list(items)
    text = ', '.join(items[:LISTED])
    return text + (f', ... ({len(items)} in all)' if len(items) > LISTED
                   else '')


def check_crop_options(patch: Optional[int], stride: Optional[int],
                       scales: Optional[Sequence[float]]) -> None:
    """Refuse a negative ``--patch`` or ``--stride`` and a scale that is not
    positive (they used to give empty or wrapped-around crops, or a
    traceback from the resize).

    Raises:
        UserError: naming the option.
    """
    for option, value in (('--patch', patch), ('--stride', stride)):
        if value is not None and value < 0:
            raise _user_error(f'{option} {value}: must be 0 or more (--patch '
                              '0: whole images; --stride 0: the patch size)')
    for scale in scales or ():
        if not scale > 0:
            raise _user_error(f'--scales: {scale:g} is not positive (a scale '
                              'multiplies the image size, e.g. 1,0.5)')


def _scaled_side(side: int, scale: float) -> int:
    """An image side after the rescale of :func:`hybrid_patches` (MATLAB
    ``imresize``'s ``ceil(side·scale)``; ×1 keeps the image as it is)."""
    if abs(scale - 1.0) < 1e-9:
        return side
    return output_size((side, side), scale)[0]


def smallest_side(patch: int, scales: Sequence[float] = (1.0, )) -> int:
    """The smallest image side that gives at least one ``patch×patch`` crop
    at one of ``scales`` (an image whose shorter side is less gives none).
    """
    def at(scale):
        side = max(1, int((patch - 1) / scale))  # just below the answer
        while _scaled_side(side, scale) < patch:
            side += 1
        return side
    return min(at(scale) for scale in scales)


def _size_need(patch: int, scales: Optional[Sequence[float]]) -> str:
    """The minimum in words, for the messages about small images."""
    scales = scales or (1.0, )
    side = smallest_side(patch, scales)
    where = '' if list(scales) == [1.0] else ' (scales ' + ', '.join(
        f'{scale:.4g}' for scale in scales) + ')'
    return (f'a {patch}×{patch} crop (--patch {patch}) needs an image of at '
            f'least {side}×{side} pixels{where}')


#: Hybrid's crops by default: RL-Restore's 63×63 patches every 96 pixels.
HYBRID_PATCH, HYBRID_STRIDE = 63, 96


def crop_settings(kind: str, patch: Optional[int], stride: Optional[int],
                  scales: Optional[Sequence[float]]):
    """``(patch, stride, scales)`` with ``kind``'s defaults filled in;
    ``scales`` are those the crops are cut at (``(1.0,)`` but for hybrid,
    the one kind that rescales)."""
    if kind != 'hybrid':
        return patch, stride, (1.0, )
    return (HYBRID_PATCH if patch is None else patch,
            HYBRID_STRIDE if stride is None else stride,
            RL_RESTORE_SCALES if scales is None else tuple(scales))


def too_small_message(too_small, total: int, kind: str,
                      patch: Optional[int] = None,
                      scales: Optional[Sequence[float]] = None) -> str:
    """The headline over the list of images :func:`synthesize_folder` left
    out as too small (``patch`` and ``scales`` as given to it; the tools
    print one ``  path: h×w`` line per image under it)."""
    patch, _, scales = crop_settings(kind, patch, None, scales)
    verb = 'is' if len(too_small) == 1 else 'are'
    return (f'{len(too_small)} of {total} images {verb} too small (not '
            f'synthesised): {_size_need(patch, scales)}; pass a smaller '
            '--patch, or --patch 0 for whole images (sizes: height×width):')


def select_subset(images: dict, subset: Optional[Sequence[int]],
                  folder: str) -> dict:
    """The sorted ``images`` ``[start, end)`` of ``subset`` (all of them
    for ``None``).

    Raises:
        UserError: the range selects no image (naming the folder and how
            many images it holds).
    """
    if subset is None:
        return images
    start, end = subset
    chosen = dict(list(images.items())[start:end])
    if not chosen:
        raise _user_error(f'--subset {start}:{end} selects no image of the '
                          f'{len(images)} in {folder} (images are counted '
                          'from 0 in sorted order)')
    return chosen


def synthesize_folder(clean_dir: str, out_dir: str, kind: str,
                      seed: int = 0, level: str = 'moderate',
                      patch: Optional[int] = None,
                      progress: bool = True,
                      stride: Optional[int] = None,
                      scales: Optional[Sequence[float]] = None,
                      blur_bins: str = 'rl-restore',
                      subset: Optional[Sequence[int]] = None,
                      too_small: Optional[list] = None
                      ) -> Dict[str, int]:
    """Write ``out_dir/{input,target}/<name>.png`` pairs degraded by ``kind``.

    Every image gives its pairs, or, when it is smaller than one crop at
    every scale (:func:`smallest_side`), is left out and reported: appended
    to ``too_small`` as ``(path, (h, w))``, or, without that list, named in
    a warning. When no image gives a pair, nothing is written and a
    ``UserError`` names them.

    Args:
        clean_dir: folder of clean images (e.g. ``DIV2K_train_HR``).
        out_dir: output folder (a :class:`PairedImageDataset` root).
        kind: ``'haze'``, ``'rain'``, ``'blur'`` or ``'hybrid'`` (FDR-Net's
            benchmark: RL-Restore's blur + noise + JPEG at ``level``).
        seed: every image's randomness derives from it and the image name.
        level: hybrid level: ``'mild'``, ``'moderate'`` or ``'severe'``.
        patch: cut ``patch×patch`` crops (hybrid default 63; others: whole
            images).
        stride: crop stride (hybrid default 96 as RL-Restore; others:
            ``patch``).
        scales: hybrid only: image scales (default ×1, ×2/3, ×1/3).
        blur_bins: hybrid only: ``'rl-restore'`` (σ ≤ 5, the released
            generator) or ``'fdrnet-text'`` (σ ≤ 10, FDR-Net's text).
        subset: ``(start, end)``: only the sorted images ``[start, end)``
            (DIV2K: ``(0, 750)`` train, ``(750, 800)`` test).
        too_small: a list to collect the images too small to crop.

    Returns ``dict(pairs=<number of pairs written>, images=<number of
    images read>)``.

    Raises:
        UserError: a negative ``patch`` or ``stride``, a scale that is not
            positive (:func:`check_crop_options`), or no image large enough
            for one crop.
    """
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    check_crop_options(patch, stride, scales)
    images = scan_images(clean_dir)
    if not images:
        raise FileNotFoundError(f'No images found in {clean_dir}')
    images = select_subset(images, subset, clean_dir)
    bins = dict(rl_restore=RL_RESTORE_BINS, fdrnet_text=FDRNET_TEXT_BINS)
    if blur_bins.replace('-', '_') not in bins:
        raise ValueError(f"blur_bins must be 'rl-restore' or 'fdrnet-text', "
                         f'got {blur_bins!r}')
    patch, stride, scales = crop_settings(kind, patch, stride, scales)
    least = smallest_side(patch, scales) if patch else None
    small = []
    written = 0
    for key, path in progress_bar(images.items(),
                                  desc=f'synthesise {kind}',
                                  enabled=progress):
        clean = read_image(path)
        if least and min(clean.shape[:2]) < least:
            # No crop at any scale: reported, not silently left out. (Each
            # image draws from its own generator: the others are unchanged.)
            small.append((path, clean.shape[:2]))
            continue
        rng = item_rng(seed, key)
        if kind == 'hybrid':
            pairs = (
                (f'{key}_{suffix}', degraded, target)
                for suffix, degraded, target in hybrid_patches(
                    clean, rng, level, patch=patch, stride=stride,
                    scales=scales, bins=bins[blur_bins.replace('-', '_')]))
        elif patch:
            # Each crop draws from its own name's generator.
            crops = [(f'{key}_{top:04d}_{left:04d}',
                      clean[top:top + patch, left:left + patch])
                     for top, left in patch_grid(*clean.shape[:2], patch,
                                                 stride)]
            pairs = ((name, SYNTHESIZERS[kind](crop, item_rng(seed, name)),
                      crop) for name, crop in crops)
        else:
            pairs = [(key, SYNTHESIZERS[kind](clean, rng), clean)]
        for name, degraded, target in pairs:
            write_rgb(osp.join(out_dir, 'input', name + '.png'), degraded)
            write_rgb(osp.join(out_dir, 'target', name + '.png'), target)
            written += 1
    _report_small(small, len(images), written, clean_dir, kind, patch,
                  scales, too_small)
    return dict(pairs=written, images=len(images))


def _report_small(small, total, written, clean_dir, kind, patch, scales,
                  too_small) -> None:
    """Raise when nothing was written because every image is too small;
    otherwise hand the small ones to ``too_small``, or warn."""
    if not small:
        return
    if not written:
        sizes = _named(f'{path} {h}×{w}' for path, (h, w) in small)
        raise _user_error(
            f'no image in {clean_dir} is large enough: '
            f'{_size_need(patch, scales)}, and the images are {sizes} '
            '(height×width). Nothing was written; pass a smaller --patch, or '
            '--patch 0 for whole images.')
    if too_small is not None:
        too_small.extend(small)
        return
    import warnings
    warnings.warn(too_small_message(small, total, kind, patch, scales) +
                  ' ' +
                  _named(f'{path} {h}×{w}' for path, (h, w) in small),
                  stacklevel=3)


#: Where the degraded half of a side-by-side pair sits.
INPUT_SIDES = ('left', 'right')


def split_side_by_side(image: np.ndarray, input_side: str = 'left',
                       path: str = '<array>'):
    """``[degraded | clean]`` side by side (DID-MDN's files: rainy on the
    left, clean on the right) → ``(degraded, clean)``."""
    if input_side not in INPUT_SIDES:
        raise ValueError(f'input_side must be one of {INPUT_SIDES}, got '
                         f'{input_side!r}')
    width = image.shape[1]
    if width % 2:
        raise ValueError(f'{path}: a side-by-side pair needs an even width, '
                         f'got {width}')
    left, right = image[:, :width // 2], image[:, width // 2:]
    return (left, right) if input_side == 'left' else (right, left)


def check_even_widths(paths, progress: bool = False) -> None:
    """Refuse side-by-side files whose width is odd, before any is split.

    An odd width has no middle: such a file is not a ``[degraded | clean]``
    pair of equal halves (a damaged or re-cropped file, or a folder that is
    not one of pairs). The widths are read first, so that nothing is
    written from a folder the tool would otherwise misread (a decode of
    each file: about a quarter of the time a ``kind='none'`` split takes).

    Raises:
        UserError: naming every such file and its width.
        ImageReadError: a file does not decode.
    """
    paths = list(paths)
    odd = []
    for path in progress_bar(paths, desc='check widths', enabled=progress):
        width = read_image(path).shape[1]
        if width % 2:
            odd.append(f'{path} ({width} pixels)')
    if odd:
        verb = 'has' if len(odd) == 1 else 'have'
        raise _user_error(
            f'{len(odd)} of {len(paths)} side-by-side images {verb} an odd '
            f'width, which does not split into two halves: {_named(odd)}. '
            '--side-by-side reads [degraded | clean] pairs of equal halves; '
            'nothing was written. Crop these files to an even width (or '
            'remove them), or pass --clean for a folder of single images.')


def synthesize_side_by_side(pairs_dir: str, out_dir: str, kind: str = 'none',
                            seed: int = 0, level: str = 'moderate',
                            blur_bins: str = 'rl-restore',
                            input_side: str = 'left',
                            subset: Optional[Sequence[int]] = None,
                            progress: bool = True) -> Dict[str, int]:
    """Split side-by-side pairs into ``out_dir/{input,target}`` and, unless
    ``kind='none'``, add a degradation to the (already degraded) input.

    FDR-Net's DID-HY (Sec. 4.1) is DID-MDN's rainy images with Gaussian
    blur, Gaussian noise and JPEG added: ``kind='hybrid'`` (RL-Restore's
    blur → noise → JPEG at ``level``, whole images, one draw per image from
    ``seed`` and the image's name). ``kind='none'`` only splits (DID-MDN
    for deraining, Table 4).

    Args:
        pairs_dir: folder of side-by-side images, searched recursively
            (keys keep sub-folders: ``Rain_Heavy/train2018new/12``).
        out_dir: output folder (a :class:`PairedImageDataset` root).
        kind: ``'none'``, ``'hybrid'`` or a key of ``SYNTHESIZERS``.
        seed, level, blur_bins: as :func:`synthesize_folder`.
        input_side: ``'left'`` (DID-MDN) or ``'right'``.
        subset: only the sorted images ``[start, end)``.

    Returns ``dict(pairs=<number of pairs written>)``.

    Raises:
        UserError: before anything is written, when an image's width is
            odd (:func:`check_even_widths`).
    """
    kinds = ('none', ) + KINDS
    if kind not in kinds:
        raise ValueError(f'kind must be one of {kinds}, got {kind!r}')
    bins = dict(rl_restore=RL_RESTORE_BINS, fdrnet_text=FDRNET_TEXT_BINS)
    if blur_bins.replace('-', '_') not in bins:
        raise ValueError(f"blur_bins must be 'rl-restore' or 'fdrnet-text', "
                         f'got {blur_bins!r}')
    images = scan_images(pairs_dir)
    if not images:
        raise FileNotFoundError(f'No images found in {pairs_dir}')
    images = select_subset(images, subset, pairs_dir)
    check_even_widths(images.values(), progress)
    written = 0
    for key, path in progress_bar(images.items(), desc=f'split + {kind}',
                                  enabled=progress):
        degraded, clean = split_side_by_side(read_image(path), input_side,
                                             path)
        if kind == 'hybrid':
            degraded, _ = add_hybrid_distortion(
                degraded, item_rng(seed, key), level,
                bins=bins[blur_bins.replace('-', '_')])
        elif kind != 'none':
            degraded = SYNTHESIZERS[kind](degraded, item_rng(seed, key))
        write_rgb(osp.join(out_dir, 'input', key + '.png'), degraded)
        write_rgb(osp.join(out_dir, 'target', key + '.png'), clean)
        written += 1
    return dict(pairs=written)
