"""Training machinery: checkpoint safety, AMP on any device, CPU DDP, loops.

Importing this package installs the safe checkpoint loader and the atomic
local file backend (see :mod:`toolbox.engine.checkpoint`).
"""
from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, AtomicLocalBackend,
                         UntrustedCheckpointError, load_checkpoint_file,
                         set_checkpoint_trust)
from .distributed import finish_distributed, setup_distributed
from .loops import MultiTestLoop, MultiValLoop
from .optim_constructor import MultiOptimWrapperConstructor
from .optim_wrapper import MixedPrecisionOptimWrapper

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'AtomicLocalBackend', 'UntrustedCheckpointError',
    'load_checkpoint_file', 'set_checkpoint_trust', 'setup_distributed',
    'finish_distributed',
    'MultiTestLoop', 'MultiValLoop', 'MixedPrecisionOptimWrapper',
    'MultiOptimWrapperConstructor'
]
from .loss_weight_decay import LossWeightDecayHook  # noqa: F401,E402
