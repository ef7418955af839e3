"""A labelled image grid: the validation grid of
:func:`toolbox.engine.visualization.image_grid` with column names on top
and row names on the left (``tools/demo.py``'s ``grid.png``).

    grid = labelled_grid([[inp, out, gt], ...], ['input', 'output', 'target'],
                         ['demo_rain\\nastronaut_0000_0096', ...])

Layout: a header band of :data:`HEADER_H` pixels with the column names, a
band of :data:`LABEL_W` pixels on the left with each row's name, and the
tiles as ``image_grid`` lays them out (every cell as large as the largest
image, ``None`` a grey cell); :func:`grid_size` gives the size.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from toolbox.engine.visualization import image_grid
from toolbox.fileio import atomic_write_bytes

HEADER_H = 22
LABEL_W = 180
BACKGROUND = (24, 24, 24)
TEXT = (235, 235, 235)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_SCALE = 0.4


def grid_size(rows: int, columns: int,
              tile: Tuple[int, int]) -> Tuple[int, int]:
    """``(height, width)`` of a labelled grid of ``rows × columns`` cells
    of ``tile = (height, width)``."""
    return HEADER_H + rows * tile[0], LABEL_W + columns * tile[1]


def _put_text(canvas: np.ndarray, text: str, x: int, y: int,
              max_width: int) -> None:
    # Shorten from the left until the text fits (the end of a name is the
    # informative part: the image key, the model).
    while text and cv2.getTextSize(text, _FONT, _SCALE, 1)[0][0] > max_width:
        text = text[1:]
    cv2.putText(canvas, text, (x, y), _FONT, _SCALE, TEXT, 1, cv2.LINE_AA)


def labelled_grid(rows: Sequence[Sequence[Optional[np.ndarray]]],
                  columns: Sequence[str],
                  row_labels: Sequence[str]) -> np.ndarray:
    """``H×W×3`` uint8 RGB tiles as a grid with named columns and rows.

    ``rows[i][j]`` is the tile of row ``i`` under ``columns[j]``;
    ``row_labels[i]`` may hold lines separated by ``'\\n'``.
    """
    tiles = image_grid(rows)
    cell_h, cell_w = tiles.shape[0] // len(rows), tiles.shape[1] // len(
        columns)
    canvas = np.empty((HEADER_H + tiles.shape[0], LABEL_W + tiles.shape[1],
                       3), np.uint8)
    canvas[:] = BACKGROUND
    canvas[HEADER_H:, LABEL_W:] = tiles
    for j, name in enumerate(columns):
        _put_text(canvas, name, LABEL_W + j * cell_w + 2, HEADER_H - 7,
                  cell_w - 2)
    for i, label in enumerate(row_labels):
        y = HEADER_H + i * cell_h
        for k, line in enumerate(label.split('\n')[:3]):
            _put_text(canvas, line, 4, y + 14 + 14 * k, LABEL_W - 8)
    return canvas


def write_image(rgb: np.ndarray, path: str) -> None:
    """Write an RGB uint8 image atomically (format from the extension)."""
    import os.path as osp

    ok, encoded = cv2.imencode(osp.splitext(path)[1] or '.png',
                               np.ascontiguousarray(rgb[..., ::-1]))
    if not ok:
        raise OSError(f'Could not encode {path}')
    atomic_write_bytes(encoded.tobytes(), path)


__all__ = ['HEADER_H', 'LABEL_W', 'grid_size', 'labelled_grid',
           'write_image']
