"""Registered losses of the toolbox (one import line per module)."""
from .pixel import CharbonnierLoss, EdgeLoss, L1Loss, MSELoss  # noqa: F401
from .contrastive import (ContrastiveLoss,  # noqa: F401
                          ExtendedFeatureContrastiveLoss,
                          ExtendedImageContrastiveLoss,
                          FeatureContrastiveLoss, ImageContrastiveLoss)
from .vgg_features import VGG19FeatureExtractor  # noqa: F401
from .adversarial import GANLoss  # noqa: F401
from .cycle import CycleConsistencyLoss, IdentityLoss  # noqa: F401
from .patch_nce import PatchNCELoss  # noqa: F401
from .color import ColorCycleLoss  # noqa: F401
from .frequency import FrequencyLoss  # noqa: F401
from .orthogonality import SVDOLoss  # noqa: F401
