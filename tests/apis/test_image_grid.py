"""The labelled image grid of tools/demo.py."""
import numpy as np
import pytest

from toolbox.apis.image_grid import (HEADER_H, LABEL_W, grid_size,
                                     labelled_grid)
from toolbox.engine.visualization import EMPTY_CELL


def test_layout_tiles_and_missing_cells():
    a = np.full((10, 12, 3), 200, np.uint8)
    b = np.full((8, 12, 3), 100, np.uint8)  # top-left of a 10x12 cell
    grid = labelled_grid([[a, b, None], [b, a, a]],
                         ['input', 'out', 'target'],
                         ['set\nkey0', 'set\nkey1'])
    assert grid.shape == grid_size(2, 3, (10, 12)) + (3, )
    assert grid_size(2, 3, (10, 12)) == (HEADER_H + 20, LABEL_W + 36)
    y, x = HEADER_H, LABEL_W
    assert (grid[y:y + 10, x:x + 12] == 200).all()
    assert (grid[y:y + 8, x + 12:x + 24] == 100).all()
    assert (grid[y:y + 10, x + 24:x + 36] == EMPTY_CELL).all()
    assert grid[:HEADER_H, LABEL_W:].max() > 200  # column names drawn
    assert grid[HEADER_H:, :LABEL_W].max() > 200  # row names drawn


def test_no_image_is_an_error():
    with pytest.raises(ValueError):
        labelled_grid([[None]], ['input'], ['row'])
