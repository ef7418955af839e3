"""What ``tools/train.py`` and ``tools/test.py`` share: config loading and
the command-line switches that turn into config changes."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from toolbox.engine.checkpoint import (install_safe_checkpoint_loader,
                                       set_checkpoint_trust)
from toolbox.engine.cfg_options import (add_cfg_options_argument,
                                        merge_cfg_options, read_config)
from toolbox.engine.distributed import setup_distributed
from toolbox.engine.errors import add_debug_argument


def add_common_arguments(parser) -> None:
    """Arguments every Runner-based tool accepts."""
    parser.add_argument('--work-dir', help='folder for logs and checkpoints')
    add_cfg_options_argument(parser)
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
        help='job launcher (tools/dist_train.sh uses pytorch)')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='load checkpoints with weights_only=False (runs code stored in '
        'the file: only for files you trust)')
    add_debug_argument(parser)
    # torchrun passes --local-rank to old-style scripts; accept both spellings.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(path: str, args) -> Config:
    """Load ``path``, apply the common switches and prepare distribution.

    Also installs the toolbox's checkpoint I/O into MMEngine
    (:func:`~toolbox.engine.checkpoint.install_safe_checkpoint_loader`), so
    the Runner built from the returned config loads ``load_from``/``resume``
    safely and writes checkpoints atomically.
    """
    install_safe_checkpoint_loader()
    cfg = read_config(path)
    merge_cfg_options(cfg, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs',
                                osp.splitext(osp.basename(path))[0])
    # default_runtime.py names the multi-set loops for every config; a config
    # without validation/test data must not ask MMEngine for those loops.
    for stage in ('val', 'test'):
        if cfg.get(f'{stage}_dataloader') is None:
            cfg[f'{stage}_cfg'] = None
            cfg[f'{stage}_evaluator'] = None
    if args.trust_checkpoint:
        set_checkpoint_trust(True)
    setup_distributed(cfg, args.launcher)
    return cfg


def enable_amp(cfg: Config, dtype: Optional[str] = None) -> None:
    """Switch the config's optimiser wrapper(s) to mixed precision.

    Works for a single wrapper and for the per-network wrappers of GAN
    models (an ``OptimWrapperDict`` constructor config whose values are
    wrapper configs).
    """
    optim_wrapper = cfg.optim_wrapper
    wrappers = [optim_wrapper]
    if 'type' not in optim_wrapper and 'optimizer' not in optim_wrapper:
        wrappers = [w for w in optim_wrapper.values() if isinstance(w, dict)]
    for wrapper in wrappers:
        if wrapper.get('type', 'OptimWrapper') in ('OptimWrapper',
                                                   'AmpOptimWrapper'):
            wrapper['type'] = 'MixedPrecisionOptimWrapper'
        if dtype is not None:
            wrapper['dtype'] = dtype
