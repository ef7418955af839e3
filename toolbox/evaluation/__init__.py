"""Image-quality metrics: numpy functions, MMEngine metrics, tables."""
from . import functional  # noqa: F401
from .metrics import (BRISQUE, NIQE, PIQE, PSNR, SSIM,  # noqa: F401
                      ColourShift)
from .fid_metrics import FID, KID  # noqa: F401,E402
