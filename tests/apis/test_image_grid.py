"""The labelled image grid of tools/demo.py."""
import numpy as np
import pytest

from toolbox.apis.image_grid import (EMPTY, GAP, HEADER_H, LABEL_W,
                                     grid_size, image_grid)


def test_layout_tiles_and_missing_cells():
    a = np.full((10, 12, 3), 200, np.uint8)
    b = np.full((20, 24, 3), 100, np.uint8)  # resized to the first tile
    grid = image_grid([[a, b, None], [b, a, a]], ['input', 'out', 'target'],
                      ['set\nkey0', 'set\nkey1'])
    assert grid.shape == grid_size(2, 3, (10, 12)) + (3, )
    assert grid_size(2, 3, (10, 12)) == (HEADER_H + 2 * (10 + GAP),
                                         LABEL_W + 3 * (12 + GAP))
    y, x = HEADER_H, LABEL_W
    assert (grid[y:y + 10, x:x + 12] == 200).all()
    x2 = LABEL_W + (12 + GAP)
    assert (grid[y:y + 10, x2:x2 + 12] == 100).all()
    x3 = LABEL_W + 2 * (12 + GAP)
    assert (grid[y:y + 10, x3:x3 + 12] == EMPTY).all()
    assert grid[:HEADER_H, LABEL_W:].max() > 200  # column names drawn


def test_no_rows_is_an_error():
    with pytest.raises(ValueError):
        image_grid([], ['input'], [])
