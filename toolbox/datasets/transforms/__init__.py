"""Data transforms (mmcv ``BaseTransform`` subclasses)."""
from .augment import Flip, PairedRandomCrop, RandomTranspose  # noqa: F401
from .formatting import PackRestorationInputs  # noqa: F401
from .loading import LoadImageFromFile  # noqa: F401
