"""The demo's real-world-like sets for Uni-Removal's domain adaptation:
unpaired adaptation sets and disjoint test sets with hidden targets.

Layout written under ``<out>/real_like``::

    adapt/{haze,rain,blur}/<name>.png         degraded, unpaired (the
                                              stand-ins for URHI, SPA,
                                              RealBlur-J's training images)
    adapt/clear/<name>.png                    clear images, other content
    test/{haze,rain,blur}/input/<name>.png    held-out degraded images
    test/{haze,rain,blur}/target/<name>.png   their clean versions: hidden
                                              from training, used only to
                                              score (PSNR/SSIM next to the
                                              papers' BRISQUE/PIQE)

The degradations are the "real" versions of the paired splits' models
(:data:`REAL_LIKE`): haze with a coloured atmospheric light, sensor
noise and JPEG compression, rain with streaks at several depths, a veil
and splashes, and non-uniform camera shake instead of one straight
motion. A student trained on the paired splits meets a domain gap here,
which is what stage 2 adapts to.

Content comes from :class:`~toolbox.degradations.demo_unpaired.
ContentSource` (photograph crops at several scales and dead leaves): the
adaptation and clear sets from the photographs' training regions, each
item its own draw, so no clear image is the clean version of a degraded
one; the test sets from the held-out regions (photograph crops only, as
real test sets are photographs). The paired splits of
:mod:`~toolbox.degradations.demo_set` are patches of the whole
photographs, so the KT student has seen content of the held-out regions
as paired training targets (under the paired degradations); the
adaptation never sees it.
"""
import os.path as osp
from typing import Dict, Iterator, Tuple

from toolbox.degradations.blur import add_nonuniform_blur
from toolbox.degradations.demo_stamp import remove_stamp, write_stamp
from toolbox.degradations.demo_unpaired import (PHOTOS, ContentSource,
                                                content_plan)
from toolbox.degradations.folder_synthesis import item_rng, write_rgb
from toolbox.degradations.haze import add_real_haze
from toolbox.degradations.rain import add_real_rain
from toolbox.progress import progress_bar

#: The version of the data this module writes: bump it when the same
#: arguments write other images, so that tools/demo.py rebuilds older
#: folders (:mod:`toolbox.degradations.demo_stamp`).
DATA_VERSION = 1
#: The folders under ``out`` that :func:`make_real_like` writes.
FOLDERS = ('real_like', )
#: The real-world-like degradation of each paired split.
REAL_LIKE = {
    'haze': add_real_haze,
    'rain': add_real_rain,
    'blur': add_nonuniform_blur,
}


def _jobs(num_adapt: int, num_clear: int,
          num_test: int) -> Iterator[Tuple[str, str, str]]:
    """(part, degradation or 'clear', name) of every item."""
    for degradation in REAL_LIKE:
        for name in content_plan(num_adapt):
            yield 'adapt', degradation, name
    for name in content_plan(num_clear):
        yield 'adapt', 'clear', name
    for degradation in REAL_LIKE:
        for i in range(num_test):
            yield 'test', degradation, f'{PHOTOS[i % len(PHOTOS)]}_{i:04d}'


def make_real_like(out: str, seed: int = 0, size: int = 96,
                   num_adapt: int = 300, num_clear: int = 600,
                   num_test: int = 30,
                   progress: bool = True) -> Dict[str, int]:
    """Write ``<out>/real_like``; return the number of files per folder.

    ``num_adapt`` degraded images per degradation, ``num_clear`` clear
    images, ``num_test`` held-out pairs per degradation. The same
    arguments give byte-identical files (each item draws from a
    generator of the seed and its own key).
    """
    remove_stamp(out, 'real_like')
    content = ContentSource(seed, size)
    root = osp.join(out, 'real_like')
    counts: Dict[str, int] = {}
    jobs = list(_jobs(num_adapt, num_clear, num_test))
    for part, kind, name in progress_bar(jobs, desc='real-like sets',
                                         enabled=progress):
        rng = item_rng(seed, f'real_like/{part}/{kind}/{name}')
        clean = content.clean('test' if part == 'test' else 'train', name,
                              rng)
        if kind == 'clear':
            outputs = {'adapt/clear': clean}
        elif part == 'adapt':
            outputs = {f'adapt/{kind}': REAL_LIKE[kind](clean, rng)}
        else:
            outputs = {f'test/{kind}/input': REAL_LIKE[kind](clean, rng),
                       f'test/{kind}/target': clean}
        for folder, image in outputs.items():
            write_rgb(osp.join(root, folder, f'{name}.png'), image)
            label = f'real_like/{folder}'
            counts[label] = counts.get(label, 0) + 1
    write_stamp(out, 'real_like', DATA_VERSION,
                dict(seed=seed, size=size, num_adapt=num_adapt,
                     num_clear=num_clear, num_test=num_test))
    return counts
