"""Registered backbones of the toolbox (one import line per module)."""
from .dncnn import DnCNN  # noqa: F401
from .mprnet import MPRNet  # noqa: F401
from .resnet_generator import ResnetGenerator  # noqa: F401
from .fdrnet import FDRNet  # noqa: F401
