"""tools/analyze_demo_rain.py: the demo rain pairs' colour cast, split into
the veil and the streaks (:func:`~toolbox.degradations.demo_unpaired.
held_out_cast_parts`), with what a fixed correction leaves of each."""
import glob
import os.path as osp
from typing import Optional

import numpy as np

from toolbox.datasets.transforms.loading import read_image
from toolbox.degradations.demo_unpaired import (constant_shift_floor,
                                                held_out_cast_parts,
                                                held_out_name)
from toolbox.evaluation.tables import format_table
from toolbox.user_errors import UserError

#: Rows of the report: key of held_out_cast_parts → what it is.
_PARTS = (('rain', 'the rainy input (veil, streaks, splashes)'),
          ('veil', 'the veil alone'),
          ('streaks', 'streaks and splashes (the rest)'))


def _casts_on_disk(folder: str, count: int) -> Optional[np.ndarray]:
    """Casts of the first ``count`` pairs in ``folder``/{input,target}, in
    the replay's order; ``None`` if the folder holds other pairs."""
    if len(glob.glob(osp.join(folder, 'input', '*.png'))) != count:
        return None
    casts = []
    for index in range(count):
        name = held_out_name(index) + '.png'
        if not osp.isfile(osp.join(folder, 'input', name)):
            return None
        casts.append(
            read_image(osp.join(folder, 'input', name)).astype(
                np.float64).mean((0, 1)) -
            read_image(osp.join(folder, 'target', name)).astype(
                np.float64).mean((0, 1)))
    return np.array(casts)


def check_against_folder(parts: dict, data_root: str) -> str:
    """One line saying whether ``data_root``'s held-out rain pairs are the
    replayed ones; a :class:`UserError` when they are not."""
    folder = osp.join(data_root, 'unpaired', 'rain', 'test')
    if not osp.isdir(osp.join(folder, 'input')):
        return f'({folder} not found: the replay is not checked against it)'
    count = len(parts['rain'])
    on_disk = _casts_on_disk(folder, count)
    if on_disk is None or not np.allclose(on_disk, parts['rain'], atol=1e-6):
        raise UserError(
            f'{folder} does not hold the {count} pairs replayed with these '
            'settings: pass the --seed, --size and --num-test that '
            'tools/make_demo_data.py was run with')
    return f'(checked: {folder} holds these {count} pairs)'


def cast_report(parts: dict) -> str:
    """The Markdown table of :func:`print_cast_report`."""
    rows = []
    for key, label in _PARTS:
        cast = parts[key]
        rows.append([
            label, ' / '.join(f'{v:.1f}' for v in cast.mean(0)),
            ' / '.join(f'{v:.1f}' for v in cast.std(0)),
            f'{np.abs(cast).mean():.2f}', f'{constant_shift_floor(cast):.2f}'
        ])
    return format_table(
        ['part', 'mean cast R / G / B', 'spread (std) R / G / B', 'dRGB',
         'dRGB after the best fixed offset'], rows)


def print_cast_report(seed: int, size: int, num_test: int,
                      data_root: str) -> None:
    """Replay, check, and print the table with a line on how to read it."""
    parts = held_out_cast_parts(seed, size, num_test)
    print(cast_report(parts))
    print(check_against_folder(parts, data_root))
    print('A correction that is the same for every image (what a generator '
          'that cannot see an image\'s veil can learn) leaves at least the '
          'last column; removing every streak exactly and the veil by the '
          'best fixed offset leaves the veil row\'s.')
