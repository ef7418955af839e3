"""Data transforms (mmcv ``BaseTransform`` subclasses)."""
from .augment import (Flip, PadToMultiple, PairedRandomCrop,  # noqa: F401
                      RandomRotate90, RandomTranspose)
from .formatting import PackRestorationInputs  # noqa: F401
from .resize import Resize  # noqa: F401
from .loading import (ImageReadError, LoadImageFromFile,  # noqa: F401
                      SizeMismatchError)
