"""Trainable algorithms (own the training step)."""
from .restorer import Restorer  # noqa: F401
