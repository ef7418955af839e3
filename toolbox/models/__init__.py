"""Networks, heads, losses and the trainable algorithms that tie them together.

Importing this package registers every model plugin (``MODELS`` has
``locations=['toolbox.models']``).
"""
from . import algorithms, backbones, heads, layers, losses  # noqa: F401
from .data_preprocessor import RestorationDataPreprocessor

__all__ = ['RestorationDataPreprocessor']
