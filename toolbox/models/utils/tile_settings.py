"""How a model restores an image tile by tile, passed as an argument.

:class:`TileSettings` holds the tile options of ``test_cfg`` (``tile``,
``tile_overlap``, ``tile_blend``, ``tile_batch``, ``tile_norm_stats``,
``tile_stats_max_pixels``), checked once when made;
:meth:`RestorationModel.predict
<toolbox.models.algorithms.base.RestorationModel.predict>` takes one (or
reads the model's ``test_cfg``), so that a caller such as
:func:`toolbox.apis.restore_image` tiles one call without touching the
model. :func:`restore_tiled` runs a network that way.
"""
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

import torch
from torch import nn

from toolbox.models.utils import instance_norm_stats
from toolbox.models.utils.tiling import tiled_forward
from toolbox.tile_windows import (DEFAULT_TILE_BATCH, DEFAULT_TILE_BLEND,
                                  DEFAULT_TILE_OVERLAP, check_tile_args)


@dataclass(frozen=True)
class TileSettings:
    """Tile options (``test_cfg`` names without ``tile_``; see
    docs/inference.md).

    Raises:
        ValueError: a size, overlap, blend or batch out of range, or an
            unknown ``norm_stats``.
    """
    size: int
    overlap: int = DEFAULT_TILE_OVERLAP
    blend: float = DEFAULT_TILE_BLEND
    batch: int = DEFAULT_TILE_BATCH
    norm_stats: str = instance_norm_stats.DEFAULT_TILE_NORM_STATS
    stats_max_pixels: int = instance_norm_stats.DEFAULT_STATS_MAX_PIXELS

    def __post_init__(self):
        check_tile_args(self.size, self.overlap, self.blend, self.batch)
        if self.norm_stats not in instance_norm_stats.TILE_NORM_STATS:
            raise ValueError(
                'test_cfg.tile_norm_stats must be one of '
                f'{instance_norm_stats.TILE_NORM_STATS}, got '
                f'{self.norm_stats!r}')

    @classmethod
    def from_test_cfg(cls, test_cfg: Optional[Mapping]
                      ) -> Optional['TileSettings']:
        """The settings ``test_cfg`` asks for; ``None`` when it asks for no
        tiles (no ``tile``, or ``tile`` 0/None)."""
        test_cfg = test_cfg or {}
        if not test_cfg.get('tile'):
            return None
        options = {field: test_cfg[f'tile_{field}']
                   for field in ('overlap', 'blend', 'batch', 'norm_stats',
                                 'stats_max_pixels')
                   if test_cfg.get(f'tile_{field}') is not None}
        return cls(test_cfg['tile'], **options)


def restore_tiled(run: Callable[[torch.Tensor], torch.Tensor],
                  network: nn.Module, inputs: torch.Tensor,
                  pad_multiple: int, tiles: TileSettings) -> torch.Tensor:
    """``run(inputs)`` window by window, as ``tiles`` says: instance norms
    normalised with the whole image's statistics (``norm_stats='image'``)
    or each window's own (``'window'``). ``network`` is the module whose
    instance norms ``run`` goes through; windows are padded to
    ``pad_multiple`` like whole images."""
    args = (inputs, tiles.size, tiles.overlap, pad_multiple, tiles.blend,
            tiles.batch)
    if tiles.norm_stats == 'window':
        return tiled_forward(run, *args)
    return instance_norm_stats.tiled_forward_image_statistics(
        run, network, *args, stats_max_pixels=tiles.stats_max_pixels)


__all__ = ['TileSettings', 'restore_tiled']
