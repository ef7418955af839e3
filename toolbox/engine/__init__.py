"""Training machinery: checkpoints in the Runner, AMP on any device, CPU
DDP, loops. Loading weights is :mod:`toolbox.weights`.

Importing this package changes nothing in MMEngine: the safe checkpoint
loader and the atomic local file backend are installed by
:func:`install_safe_checkpoint_loader` (see :mod:`toolbox.engine.checkpoint`),
which the tools, :func:`toolbox.apis.init_model` and
:func:`toolbox.app.runner_setup.load_config` call.
"""
from .checkpoint import (AtomicLocalBackend, FrozenModuleHolder,
                         install_safe_checkpoint_loader)
from .distributed import finish_distributed, setup_distributed
from .loops import MultiTestLoop, MultiValLoop
from .optim_constructor import MultiOptimWrapperConstructor
from .optim_wrapper import MixedPrecisionOptimWrapper

__all__ = [
    'AtomicLocalBackend', 'FrozenModuleHolder',
    'install_safe_checkpoint_loader',
    'setup_distributed', 'finish_distributed',
    'MultiTestLoop', 'MultiValLoop', 'MixedPrecisionOptimWrapper',
    'MultiOptimWrapperConstructor'
]
from .dataset_epoch import DatasetEpochHook  # noqa: F401,E402
from .exact_resume import ExactResumeHook  # noqa: F401,E402
from .image_writer import SaveRestoredImagesHook  # noqa: F401,E402
from .loss_weight_decay import LossWeightDecayHook  # noqa: F401,E402
from .non_finite import (NonFiniteLossError,  # noqa: F401,E402
                         NonFiniteLossHook)
from .rank_data_seed import RankDataSeedHook  # noqa: F401,E402
from .resume_schedule import ResumeScheduleHook  # noqa: F401,E402
from .resume_weights import ResumeWeightsHook  # noqa: F401,E402
from .visualization import (OptionalTensorboardVisBackend,  # noqa: F401,E402
                            ValImageGridHook)
