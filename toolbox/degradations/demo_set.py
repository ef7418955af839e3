"""The embedded demo data set, synthesised from scikit-image's photographs.

Layout written under ``out``::

    {haze,rain,blur}/{train,test}/{input,target}/<name>.png   paired
    hybrid/{train,test}/{input,target}/<name>_d<k>.png       paired
    real/{haze,rain,blur}/<name>.png    unpaired "real-world-like" degraded
    real/clean/<name>.png               unpaired clean images

Clean patches are cut from the colour photographs bundled with
scikit-image (no download), shuffled with the seed and split into train,
test and real parts that share no patch. Degradations use the physical
models of :mod:`toolbox.degradations`; the "real" sets use stronger, wider
parameters than the paired sets, a stand-in for the domain gap of real
photographs.

``hybrid`` is FDR-Net's hybrid distortion (Gaussian blur, Gaussian noise,
JPEG; RL-Restore's *moderate* level, :mod:`toolbox.degradations.hybrid`)
on the same train and test patches, each with ``HYBRID_DRAWS`` independent
draws (``<name>_d<k>``): the protocol's strengths vary so much from draw to
draw that one draw per patch would leave most level combinations unseen in
training and make the test mean depend on six draws.
"""
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np

from toolbox.degradations.blur import add_motion_blur
from toolbox.degradations.demo_stamp import remove_stamp, write_stamp
from toolbox.degradations.folder_synthesis import item_rng as folder_item_rng
from toolbox.degradations.folder_synthesis import write_rgb
from toolbox.degradations.haze import add_haze
from toolbox.degradations.hybrid import add_hybrid_distortion
from toolbox.degradations.rain import add_rain
from toolbox.progress import progress_bar

PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket')
DEGRADATIONS = ('haze', 'rain', 'blur')
#: The version of the data this module writes: bump it when the same
#: arguments write other images, so that tools/demo.py rebuilds older
#: folders (:mod:`toolbox.degradations.demo_stamp`).
DATA_VERSION = 1
#: The folders under ``out`` that :func:`make_demo_set` writes.
FOLDERS = DEGRADATIONS + ('hybrid', 'real')
#: Level of the demo's hybrid split and draws per patch (train, test).
HYBRID_LEVEL = 'moderate'
HYBRID_DRAWS = dict(train=4, test=4)

# Paired (synthetic) and real-world-like parameters per degradation.
SYNTHETIC = {
    'haze': lambda img, rng: add_haze(img, rng, beta=(0.5, 1.2)),
    'rain': lambda img, rng: add_rain(img, rng),
    'blur': lambda img, rng: add_motion_blur(img, rng, length=(7, 13)),
}
REAL_LIKE = {
    'haze': lambda img, rng: add_haze(img, rng, beta=(1.4, 2.4),
                                      airlight=(0.6, 0.9)),
    'rain': lambda img, rng: add_rain(img, rng, density=(0.01, 0.02),
                                      length=(15, 31), intensity=(0.7, 1.0)),
    'blur': lambda img, rng: add_motion_blur(img, rng, length=(11, 19)),
}


def clean_patches(size: int) -> List[Tuple[str, np.ndarray]]:
    """Non-overlapping ``size×size`` RGB patches of the bundled photographs.

    Each photograph is resized so that its shorter side is ``3·size``.
    """
    from skimage import data  # imported here: only the demo needs it
    patches = []
    for name in PHOTOS:
        photo = getattr(data, name)()[..., :3]
        h, w = photo.shape[:2]
        scale = 3 * size / min(h, w)
        photo = cv2.resize(photo, (round(w * scale), round(h * scale)),
                           interpolation=cv2.INTER_AREA)
        for top in range(0, photo.shape[0] - size + 1, size):
            for left in range(0, photo.shape[1] - size + 1, size):
                patch = photo[top:top + size, left:left + size]
                patches.append((f'{name}_{top:04d}_{left:04d}', patch))
    return patches


def split_patches(patches, rng, num_train: int, num_test: int) -> Dict:
    """Shuffle and split into train/test/real (disjoint)."""
    order = rng.permutation(len(patches))
    if len(order) < num_train + num_test + 2:
        raise ValueError(
            f'Only {len(order)} patches: lower --num-train/--num-test or the '
            'patch size.')
    picked = [patches[i] for i in order]
    return dict(train=picked[:num_train],
                test=picked[num_train:num_train + num_test],
                real=picked[num_train + num_test:])


def make_demo_set(out: str = 'data/demo', seed: int = 0, size: int = 96,
                  num_train: int = 24, num_test: int = 6,
                  progress: bool = True) -> Dict[str, int]:
    """Write the demo set under ``out``; return the number of files per part.

    The same ``seed`` (and arguments) gives byte-identical files.
    """
    import os
    remove_stamp(out, 'paired')
    rng = np.random.default_rng(seed)
    parts = split_patches(clean_patches(size), rng, num_train, num_test)
    jobs = []
    for degradation in DEGRADATIONS:
        for split in ('train', 'test'):
            for name, clean in parts[split]:
                jobs.append(('paired', degradation, split, name, clean))
        for name, clean in parts['real'][:len(parts['real']) // 2]:
            jobs.append(('real', degradation, None, name, clean))
    for split, draws in HYBRID_DRAWS.items():
        for name, clean in parts[split]:
            for k in range(draws):
                jobs.append(('paired', 'hybrid', split, f'{name}_d{k}', clean))
    half = len(parts['real']) // 2
    for name, clean in parts['real'][half:]:
        jobs.append(('clean', None, None, name, clean))

    counts: Dict[str, int] = {}
    for kind, degradation, split, name, clean in progress_bar(
            jobs, desc='demo data', enabled=progress):
        # One generator per image, derived from the seed and the image's
        # whole identity: the output does not depend on the order of the
        # work, and no two images share a draw. (Until issue 31 the
        # haze/rain/blur and real splits reduced the key modulo 2**63,
        # which kept its first 8 bytes, 'paired/r', 'real/haz'...: every
        # image of such a split drew the same parameters and streaks.)
        item_rng = folder_item_rng(seed, f'{kind}/{degradation}/{split}/'
                                   f'{name}')
        if kind == 'paired':
            folder = osp.join(out, degradation, split)
            os.makedirs(osp.join(folder, 'input'), exist_ok=True)
            os.makedirs(osp.join(folder, 'target'), exist_ok=True)
            if degradation == 'hybrid':
                degraded, _ = add_hybrid_distortion(clean, item_rng,
                                                    HYBRID_LEVEL)
            else:
                degraded = SYNTHETIC[degradation](clean, item_rng)
            write_rgb(osp.join(folder, 'input', f'{name}.png'), degraded)
            write_rgb(osp.join(folder, 'target', f'{name}.png'), clean)
            part = f'{degradation}/{split}'
        elif kind == 'real':
            folder = osp.join(out, 'real', degradation)
            os.makedirs(folder, exist_ok=True)
            write_rgb(osp.join(folder, f'{name}.png'),
                      REAL_LIKE[degradation](clean, item_rng))
            part = f'real/{degradation}'
        else:
            folder = osp.join(out, 'real', 'clean')
            os.makedirs(folder, exist_ok=True)
            write_rgb(osp.join(folder, f'{name}.png'), clean)
            part = 'real/clean'
        counts[part] = counts.get(part, 0) + 1
    write_stamp(out, 'paired', DATA_VERSION,
                dict(seed=seed, size=size, num_train=num_train,
                     num_test=num_test))
    return counts
