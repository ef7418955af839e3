"""Trainable algorithms (own the training step)."""
from .restorer import Restorer  # noqa: F401
from .cyclegan import CycleGAN  # noqa: F401
from .uniremoval import UniRemovalKT  # noqa: F401
from .uniremoval_da import UniRemovalDA  # noqa: F401
from .dcdgan import DCDGAN  # noqa: F401
