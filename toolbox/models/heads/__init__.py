"""Registered heads of the toolbox (one import line per module)."""
from .projection import ProjectionHead  # noqa: F401
from .patchgan import PatchGANDiscriminator  # noqa: F401
from .patch_sampler import PatchSampleMLP  # noqa: F401
