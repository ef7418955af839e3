"""The demo's unpaired rain set: enough distinct content for a
discriminator not to learn its clean domain by heart.

Layout written under ``<out>/unpaired/rain``::

    train/rainy/<name>.png          rainy crops (domain A)
    train/clean/<name>.png          clean crops (domain B), other content
    test/{input,target}/<name>.png  held-out rainy crops and their clean
                                    versions (scored with PSNR/SSIM; the
                                    inputs alone with NIQE/BRISQUE/PIQE)
    probe/rainy/<name>.png          train/clean/<name>.png with its own rain
                                    draw: pairs, which no unpaired method
                                    reads; they train the supervised probe
                                    (configs/demo/gan_demo_paired_probe.py)
                                    that measures how far the demo's
                                    generator gets when it has pairs

Content (:func:`content_plan`): crops of scikit-image's four colour
photographs at scales 1 to 1/3, and dead-leaves images
(:mod:`toolbox.degradations.dead_leaves`) coloured with those photographs'
pixels. Each photograph's right ``HELD_OUT`` part is kept for the test
crops and never used in training; training crops are dealt alternately to
the rainy and the clean domain, so no clean crop is the clean version of a
rainy one. Rain is :func:`~toolbox.degradations.rain.add_real_rain`
(streaks at several depths, veil, splashes), one seeded draw per image
(from the seed and the image's name, so the output does not depend on the
order of the work).
"""
import copy
import os
import os.path as osp
from typing import Dict, Iterator, List, Tuple

import numpy as np

from toolbox.degradations.dead_leaves import dead_leaves
from toolbox.degradations.demo_stamp import remove_stamp, write_stamp
from toolbox.degradations.filtering import gaussian_blur, resize_bicubic
from toolbox.degradations.folder_synthesis import item_rng, write_rgb
from toolbox.degradations.rain import add_real_rain, real_rain_veil
from toolbox.progress import progress_bar

PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket')
#: The version of the data this module writes: bump it when the same
#: arguments write other images, so that tools/demo.py rebuilds older
#: folders (:mod:`toolbox.degradations.demo_stamp`).
DATA_VERSION = 1
#: The folders under ``out`` that :func:`make_unpaired_rain` writes.
FOLDERS = ('unpaired/rain', )
#: Fraction of each photograph's width (its right side) kept for testing.
HELD_OUT = 0.3
#: Share of dead-leaves images among the training crops.
DEAD_LEAVES_SHARE = 0.4


def resize_area(image: np.ndarray, size: int) -> np.ndarray:
    """Downscale a square uint8 RGB crop to ``size×size``: Gaussian
    anti-aliasing (σ = 0.5·√(f² − 1) for a factor ``f``), then bicubic."""
    factor = image.shape[0] / size
    channels = []
    for c in range(3):
        plane = image[..., c].astype(np.float64)
        if factor > 1:
            plane = gaussian_blur(plane, 0.5 * np.sqrt(factor**2 - 1))
        channels.append(resize_bicubic(plane, size, size))
    return np.clip(np.round(np.stack(channels, -1)), 0, 255).astype(
        np.uint8)


def _photos() -> Dict[str, np.ndarray]:
    from skimage import data  # imported here: only the demo needs it
    return {name: getattr(data, name)()[..., :3] for name in PHOTOS}


def _region(photo: np.ndarray, held_out: bool) -> np.ndarray:
    split = int(round(photo.shape[1] * (1 - HELD_OUT)))
    return photo[:, split:] if held_out else photo[:, :split]


def photo_crop(region: np.ndarray, size: int,
               rng: np.random.Generator) -> np.ndarray:
    """A random square crop of ``region`` at a random scale (window side
    from ``size`` to 3·``size``, at most the region's), resized to
    ``size``, flipped at random."""
    h, w = region.shape[:2]
    largest = min(h, w, 3 * size)
    side = int(rng.integers(min(size, largest), largest + 1))
    top = int(rng.integers(0, h - side + 1))
    left = int(rng.integers(0, w - side + 1))
    crop = resize_area(region[top:top + side, left:left + side], size)
    return crop[:, ::-1] if rng.random() < 0.5 else crop


def content_plan(count: int) -> List[str]:
    """Names of ``count`` crops for one domain, ``DEAD_LEAVES_SHARE`` of
    them dead leaves, the rest cycling through the photographs: both
    domains get the same mixture (other content would be a difference
    between the domains for the generator to learn)."""
    names, photos = [], 0
    for i in range(count):
        if (i * DEAD_LEAVES_SHARE) % 1 + DEAD_LEAVES_SHARE >= 1:
            names.append(f'leaves_{i:04d}')
        else:
            names.append(f'{PHOTOS[photos % len(PHOTOS)]}_{i:04d}')
            photos += 1
    return names


class ContentSource:
    """The clean image of every item of the set: a dead-leaves image or a
    photograph crop (training or held-out region), drawn from the item's
    generator."""

    def __init__(self, seed: int, size: int):
        photos = _photos()
        self.size = size
        self.regions = {held_out: {n: _region(p, held_out)
                                   for n, p in photos.items()}
                        for held_out in (False, True)}
        # Dead leaves take their colours from the training regions only.
        pixels = np.concatenate([r.reshape(-1, 3) for r in
                                 self.regions[False].values()])
        picks = np.random.default_rng([seed, 1]).integers(len(pixels),
                                                          size=20000)
        self.palette = pixels[picks].astype(np.float64)

    def clean(self, part: str, name: str,
              rng: np.random.Generator) -> np.ndarray:
        """``part``: 'rainy', 'clean' or 'test'; ``name``: the item's."""
        if name.startswith('leaves_'):
            return dead_leaves(self.size, rng, self.palette)
        region = self.regions[part == 'test'][name.rsplit('_', 1)[0]]
        return photo_crop(region, self.size, rng)


def _jobs(num_train: int, num_test: int) -> Iterator[Tuple[str, str]]:
    for domain in ('rainy', 'clean'):
        for name in content_plan(num_train):
            yield domain, name
    for i in range(num_test):
        yield 'test', held_out_name(i)


def held_out_name(index: int) -> str:
    """The file stem of held-out pair ``index``."""
    return f'{PHOTOS[index % len(PHOTOS)]}_{index:04d}'


def make_unpaired_rain(out: str, seed: int = 0, size: int = 96,
                       num_train: int = 600, num_test: int = 60,
                       progress: bool = True) -> Dict[str, int]:
    """Write ``<out>/unpaired/rain``; return the number of files per part.

    ``num_train`` images per domain, ``num_test`` held-out pairs. The same
    arguments give byte-identical files.
    """
    remove_stamp(out, 'unpaired')
    content = ContentSource(seed, size)
    root = osp.join(out, 'unpaired', 'rain')
    folders = {'rainy': 'train/rainy', 'clean': 'train/clean',
               'input': 'test/input', 'target': 'test/target',
               'probe': 'probe/rainy'}
    for folder in folders.values():
        os.makedirs(osp.join(root, folder), exist_ok=True)
    counts: Dict[str, int] = {}
    jobs = list(_jobs(num_train, num_test))
    for part, name in progress_bar(jobs, desc='unpaired rain',
                                   enabled=progress):
        rng = item_rng(seed, f'unpaired/rain/{part}/{name}')
        clean = content.clean(part, name, rng)
        if part == 'clean':
            # The probe's draw is its own, so the other folders' bytes do
            # not depend on whether the probe exists.
            probe_rng = item_rng(seed, f'unpaired/rain/probe/{name}')
            outputs = {'clean': clean,
                       'probe': add_real_rain(clean, probe_rng)}
        elif part == 'rainy':
            outputs = {'rainy': add_real_rain(clean, rng)}
        else:
            outputs = {'input': add_real_rain(clean, rng), 'target': clean}
        for key, image in outputs.items():
            write_rgb(osp.join(root, folders[key], f'{name}.png'), image)
            label = f'unpaired/rain/{folders[key]}'
            counts[label] = counts.get(label, 0) + 1
    write_stamp(out, 'unpaired', DATA_VERSION,
                dict(seed=seed, size=size, num_train=num_train,
                     num_test=num_test))
    return counts


def held_out_cast_parts(seed: int = 0, size: int = 96,
                        num_test: int = 60) -> Dict[str, np.ndarray]:
    """The colour cast of each held-out pair of :func:`make_unpaired_rain`
    (same arguments) and its two parts, by replaying each pair's draws.

    The cast of an image is ``mean(rainy_c) − mean(clean_c)`` per channel,
    in grey levels (``ColourShift``'s quantity before the absolute value).
    Returns ``num_test × 3`` arrays: ``'rain'`` (the test input's cast),
    ``'veil'`` (the same clean image with only the veil of its own draw,
    :func:`~toolbox.degradations.rain.real_rain_veil`) and ``'streaks'``
    (the rest: streaks and splashes over the veil).
    """
    content = ContentSource(seed, size)
    rain, veil = [], []
    for i in range(num_test):
        name = held_out_name(i)
        rng = item_rng(seed, f'unpaired/rain/test/{name}')
        clean = content.clean('test', name, rng)
        replay = copy.deepcopy(rng)  # the rain's draws start here
        rainy = add_real_rain(clean, rng)
        veiled = np.clip(np.round(real_rain_veil(clean / 255.0, replay) *
                                  255.0), 0, 255)
        clean_mean = clean.astype(np.float64).mean((0, 1))
        rain.append(rainy.astype(np.float64).mean((0, 1)) - clean_mean)
        veil.append(veiled.mean((0, 1)) - clean_mean)
    rain, veil = np.array(rain), np.array(veil)
    return {'rain': rain, 'veil': veil, 'streaks': rain - veil}


def constant_shift_floor(cast: np.ndarray) -> float:
    """``dRGB`` left when one fixed offset per channel (the median of the
    set's casts, fitted on the set itself: optimistic) is removed from every
    image: the best that a correction which does not depend on the image
    achieves on ``cast`` (``N×3``)."""
    return float(np.abs(cast - np.median(cast, axis=0)).mean())
