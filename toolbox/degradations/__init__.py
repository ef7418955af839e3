"""Seeded synthesis of degradations (haze, rain, blur, noise, JPEG, hybrid).

Every function takes an ``H×W×3`` uint8 RGB image and draws its randomness
from a ``numpy.random.Generator``, so a seed reproduces a data set exactly.
"""
from .blur import add_gaussian_blur, add_motion_blur, line_kernel
from .haze import add_haze, depth_proxy
from .hybrid import (FDRNET_TEXT_BINS, HYBRID_LEVELS, RL_RESTORE_BINS,
                     RL_RESTORE_SCALES, add_hybrid_distortion,
                     hybrid_patches, patch_grid, sample_hybrid_params)
from .noise import add_gaussian_noise, jpeg_compress
from .rain import add_rain, add_real_rain

SYNTHESIZERS = {
    'haze': add_haze,
    'rain': add_rain,
    'real_rain': add_real_rain,
    'blur': add_motion_blur,
}

__all__ = [
    'add_gaussian_blur', 'add_motion_blur', 'line_kernel', 'add_haze',
    'depth_proxy', 'HYBRID_LEVELS', 'RL_RESTORE_BINS', 'FDRNET_TEXT_BINS',
    'RL_RESTORE_SCALES', 'add_hybrid_distortion', 'hybrid_patches',
    'sample_hybrid_params', 'patch_grid',
    'add_gaussian_noise', 'jpeg_compress', 'add_rain', 'add_real_rain',
    'SYNTHESIZERS'
]
