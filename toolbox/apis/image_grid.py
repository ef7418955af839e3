"""A labelled grid of images: rows of equally sized tiles under a header.

    grid = image_grid([[inp, out, gt], ...], ['input', 'output', 'target'],
                      ['demo_rain / astronaut_0000_0096', ...])

Layout: a header band of :data:`HEADER_H` pixels with the column names, a
band of :data:`LABEL_W` pixels on the left with each row's name, and the
tiles, :data:`GAP` pixels apart (:func:`grid_size` gives the size). Tiles
take the size of the first one (others are resized); a missing tile
(``None``, e.g. the target of an image without reference) is a dark cell.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

HEADER_H = 22
LABEL_W = 180
GAP = 2
BACKGROUND = (24, 24, 24)
TEXT = (235, 235, 235)
EMPTY = (64, 64, 64)
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_SCALE = 0.4


def grid_size(rows: int, columns: int,
              tile: Tuple[int, int]) -> Tuple[int, int]:
    """``(height, width)`` of a grid of ``rows × columns`` tiles of size
    ``tile = (height, width)``."""
    return (HEADER_H + rows * (tile[0] + GAP),
            LABEL_W + columns * (tile[1] + GAP))


def _put_text(canvas: np.ndarray, text: str, x: int, y: int,
              max_width: int) -> None:
    # Shorten from the left until the text fits (the end of a name is the
    # informative part: the image key, the model).
    while text and cv2.getTextSize(text, _FONT, _SCALE, 1)[0][0] > max_width:
        text = text[1:]
    cv2.putText(canvas, text, (x, y), _FONT, _SCALE, TEXT, 1, cv2.LINE_AA)


def image_grid(rows: Sequence[Sequence[Optional[np.ndarray]]],
               columns: Sequence[str],
               row_labels: Sequence[str]) -> np.ndarray:
    """Lay out ``H×W×3`` uint8 RGB tiles as a labelled grid (RGB uint8).

    ``rows[i][j]`` is the tile of row ``i`` under ``columns[j]``;
    ``row_labels[i]`` may hold two lines separated by ``'\\n'``.
    """
    if not rows:
        raise ValueError('image_grid needs at least one row')
    first = next(t for row in rows for t in row if t is not None)
    tile_h, tile_w = first.shape[:2]
    height, width = grid_size(len(rows), len(columns), (tile_h, tile_w))
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = BACKGROUND
    for j, name in enumerate(columns):
        x = LABEL_W + j * (tile_w + GAP)
        _put_text(canvas, name, x + 2, HEADER_H - 7, tile_w - 2)
    for i, (row, label) in enumerate(zip(rows, row_labels)):
        y = HEADER_H + i * (tile_h + GAP)
        for k, line in enumerate(label.split('\n')[:3]):
            _put_text(canvas, line, 4, y + 14 + 14 * k, LABEL_W - 8)
        for j, tile in enumerate(row):
            x = LABEL_W + j * (tile_w + GAP)
            cell = canvas[y:y + tile_h, x:x + tile_w]
            if tile is None:
                cell[:] = EMPTY
                continue
            if tile.shape[:2] != (tile_h, tile_w):
                tile = cv2.resize(tile, (tile_w, tile_h),
                                  interpolation=cv2.INTER_AREA)
            cell[:] = tile
    return canvas


def write_image(rgb: np.ndarray, path: str) -> None:
    """Write an RGB uint8 image atomically (format from the extension)."""
    import os.path as osp

    from toolbox.fileio import atomic_write_bytes
    ok, encoded = cv2.imencode(osp.splitext(path)[1] or '.png',
                               np.ascontiguousarray(rgb[..., ::-1]))
    if not ok:
        raise OSError(f'Could not encode {path}')
    atomic_write_bytes(encoded.tobytes(), path)


__all__ = ['HEADER_H', 'LABEL_W', 'GAP', 'grid_size', 'image_grid',
           'write_image']
