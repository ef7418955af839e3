"""Helpers of the trainable algorithms that are not networks (no
parameters, not in any registry)."""
from .image_pool import ImagePool  # noqa: F401
