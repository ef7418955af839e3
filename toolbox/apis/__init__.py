"""Inference: restore arrays, files and folders (with optional tiling)."""
from .inference import (init_model, load_model_config, load_model_weights,
                        restore_image, restore_path)
from toolbox.models.utils.tiling import tiled_forward

__all__ = [
    'init_model', 'load_model_config', 'load_model_weights', 'restore_image',
    'restore_path', 'tiled_forward'
]
