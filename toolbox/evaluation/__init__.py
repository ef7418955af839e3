"""Image-quality metrics: numpy functions and MMEngine metrics."""
from . import functional  # noqa: F401
from .metrics import PSNR, SSIM  # noqa: F401
