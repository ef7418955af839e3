"""Synthesise a paired data set from a folder of clean images."""
import os
import os.path as osp
from typing import Dict, Optional

import cv2
import numpy as np
from tqdm import tqdm

from toolbox.datasets.paired import scan_images
from toolbox.datasets.transforms.loading import read_image
from toolbox.degradations import SYNTHESIZERS
from toolbox.degradations.hybrid import add_hybrid_distortion, patch_grid

KINDS = tuple(SYNTHESIZERS) + ('hybrid', )


def _item_rng(seed: int, key: str) -> np.random.Generator:
    # Per-image streams: output does not depend on processing order.
    return np.random.default_rng(
        [seed, int.from_bytes(key.encode(), 'little') % (2**63)])


def _write(path: str, rgb: np.ndarray) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[..., ::-1])):
        raise OSError(f'Could not write {path}')


def synthesize_folder(clean_dir: str, out_dir: str, kind: str,
                      seed: int = 0, level: str = 'moderate',
                      patch: Optional[int] = None,
                      progress: bool = True) -> Dict[str, int]:
    """Write ``out_dir/{input,target}`` pairs degraded by ``kind``.

    Args:
        clean_dir: folder of clean images (e.g. DIV2K_train_HR).
        kind: ``'haze'``, ``'rain'``, ``'blur'`` or ``'hybrid'`` (FDR-Net's
            blur + noise + JPEG protocol, at ``level``).
        patch: cut non-overlapping ``patch×patch`` crops first (the hybrid
            benchmark uses 63).
    Returns counts of written pairs.
    """
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    images = scan_images(clean_dir)
    if not images:
        raise FileNotFoundError(f'No images found in {clean_dir}')
    written = 0
    for key, path in tqdm(images.items(), desc=f'synthesise {kind}',
                          disable=not progress):
        clean = read_image(path)
        crops = [(key, clean)]
        if patch:
            crops = [(f'{key}_{top:04d}_{left:04d}',
                      clean[top:top + patch, left:left + patch])
                     for top, left in patch_grid(*clean.shape[:2], patch)]
        for name, crop in crops:
            rng = _item_rng(seed, name)
            if kind == 'hybrid':
                degraded, _ = add_hybrid_distortion(crop, rng, level)
            else:
                degraded = SYNTHESIZERS[kind](crop, rng)
            _write(osp.join(out_dir, 'input', name + '.png'), degraded)
            _write(osp.join(out_dir, 'target', name + '.png'), crop)
            written += 1
    return dict(pairs=written)
