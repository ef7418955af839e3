"""Datasets and transforms (registered on import)."""
from . import transforms  # noqa: F401
from .paired import PairedImageDataset  # noqa: F401
from .benchmarks import (GoProDataset, RealBlurDataset,  # noqa: F401
                         RESIDEDataset, Rain1400Dataset)
