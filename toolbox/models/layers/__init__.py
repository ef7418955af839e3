"""Layers and helpers shared by several networks (one import line per
module)."""
from .antialias import BlurPool2d, BlurUpsample2d  # noqa: F401
from .norm import build_norm, conv_bias_for  # noqa: F401
from .weight_init import init_gan_weights  # noqa: F401
from .attention import ChannelAttention, ChannelAttentionBlock  # noqa: F401
from .gdn import GDN, IGDN  # noqa: F401
from .resblock import ResBlock  # noqa: F401
