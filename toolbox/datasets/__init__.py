"""Datasets and transforms (registered on import)."""
from . import transforms  # noqa: F401
from .paired import PairedImageDataset  # noqa: F401
