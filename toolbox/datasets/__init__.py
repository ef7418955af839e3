"""Datasets and transforms (registered on import)."""
from . import transforms  # noqa: F401
from .base import RestorationDataset  # noqa: F401
from .paired import PairedImageDataset  # noqa: F401
from .paper_datasets import (DIDHYDataset, DIDMDNDataset,  # noqa: F401
                             GoProDataset, HybridDistortionDataset,
                             RealBlurDataset, RESIDEDataset, Rain1400Dataset,
                             SPADataset)
from .mixed import MixedDegradationDataset  # noqa: F401
from .samplers import DegradationBalancedSampler  # noqa: F401
from .unpaired import ImageFolderDataset, UnpairedImageDataset  # noqa: F401
