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
                                         RL_RESTORE_SCALES, hybrid_patches,
                                         patch_grid)
from toolbox.progress import progress_bar

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


def synthesize_folder(clean_dir: str, out_dir: str, kind: str,
                      seed: int = 0, level: str = 'moderate',
                      patch: Optional[int] = None,
                      progress: bool = True,
                      stride: Optional[int] = None,
                      scales: Optional[Sequence[float]] = None,
                      blur_bins: str = 'rl-restore',
                      subset: Optional[Sequence[int]] = None
                      ) -> Dict[str, int]:
    """Write ``out_dir/{input,target}/<name>.png`` pairs degraded by ``kind``.

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

    Returns ``dict(pairs=<number of pairs written>)``.
    """
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    images = scan_images(clean_dir)
    if not images:
        raise FileNotFoundError(f'No images found in {clean_dir}')
    if subset is not None:
        start, end = subset
        images = dict(list(images.items())[start:end])
        if not images:
            raise ValueError(f'subset {start}:{end} selects no image of the '
                             f'{len(scan_images(clean_dir))} in {clean_dir}')
    bins = dict(rl_restore=RL_RESTORE_BINS, fdrnet_text=FDRNET_TEXT_BINS)
    if blur_bins.replace('-', '_') not in bins:
        raise ValueError(f"blur_bins must be 'rl-restore' or 'fdrnet-text', "
                         f'got {blur_bins!r}')
    written = 0
    for key, path in progress_bar(images.items(),
                                  desc=f'synthesise {kind}',
                                  enabled=progress):
        clean = read_image(path)
        rng = item_rng(seed, key)
        if kind == 'hybrid':
            pairs = (
                (f'{key}_{suffix}', degraded, target)
                for suffix, degraded, target in hybrid_patches(
                    clean, rng, level,
                    patch=63 if patch is None else patch,
                    stride=96 if stride is None else stride,
                    scales=RL_RESTORE_SCALES if scales is None else scales,
                    bins=bins[blur_bins.replace('-', '_')]))
        else:
            crops = [(key, clean)]
            if patch:
                crops = [(f'{key}_{top:04d}_{left:04d}',
                          clean[top:top + patch, left:left + patch])
                         for top, left in patch_grid(*clean.shape[:2], patch,
                                                     stride)]
            pairs = ((name, SYNTHESIZERS[kind](crop, item_rng(seed, name)),
                      crop) for name, crop in crops)
        for name, degraded, target in pairs:
            write_rgb(osp.join(out_dir, 'input', name + '.png'), degraded)
            write_rgb(osp.join(out_dir, 'target', name + '.png'), target)
            written += 1
    return dict(pairs=written)


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
    """
    from toolbox.degradations.hybrid import add_hybrid_distortion
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
    if subset is not None:
        start, end = subset
        images = dict(list(images.items())[start:end])
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
