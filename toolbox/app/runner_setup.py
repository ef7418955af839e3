"""What ``tools/train.py`` and ``tools/test.py`` share: config loading and
the command-line switches that turn into config changes."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from toolbox.engine.checkpoint import install_safe_checkpoint_loader
from toolbox.weights import set_checkpoint_trust
from toolbox.cfg_options import (add_cfg_options_argument, merge_cfg_options,
                                 read_config)
from toolbox.engine.distributed import setup_distributed
from toolbox.app.errors import add_debug_argument
from toolbox.user_errors import UserError


def add_common_arguments(parser) -> None:
    """Arguments every Runner-based tool accepts."""
    parser.add_argument('--work-dir', help='folder for logs and checkpoints')
    parser.add_argument(
        '--compile', nargs='?', const='default', default=None,
        metavar='MODE',
        help="torch.compile the model's networks in place (cfg.compile, "
        "MMEngine's key); MODE: default, reduce-overhead, max-autotune. "
        'Compiling takes a while; measured gains: docs/benchmarks.md')
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
    if not isinstance(cfg.get('model'), dict):
        raise UserError(
            f'{path} defines no model (a `model = dict(type=...)`, e.g. '
            "configs/demo/tiny_restorer.py's): nothing to train or test")
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
    if getattr(args, 'compile', None):
        enable_compile(cfg, args.compile)
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


def enable_compile(cfg: Config, mode: str = 'default') -> None:
    """Ask for ``torch.compile``: sets ``cfg.compile`` (``True`` or a dict
    of ``torch.compile`` options), the key MMEngine's Runner reads."""
    compile_cfg = cfg.get('compile')
    compile_cfg = dict(compile_cfg) if isinstance(compile_cfg, dict) else {}
    if mode and mode != 'default':
        compile_cfg['mode'] = mode
    cfg.compile = compile_cfg or True


def take_compile_options(cfg: Config) -> Optional[dict]:
    """Remove ``cfg.compile`` before the Runner is built and return its
    ``torch.compile`` options (``None``: no compilation).

    MMEngine 0.10 compiles the whole ``train_step`` (data preprocessing,
    losses, the optimiser step: many graph breaks); compiling the tiny demo
    config that way took over 4 minutes here. :func:`compile_networks`
    compiles the model's networks instead, in place, for training and
    testing alike.
    """
    compile_cfg = cfg.get('compile')
    if 'compile' in cfg:
        cfg.pop('compile')
    if not compile_cfg:
        return None
    return {} if compile_cfg is True else dict(compile_cfg)


def compile_networks(model, options: Optional[dict], logger=None) -> list:
    """``torch.compile`` each network of ``model`` in place
    (``nn.Module.compile``: parameters and state-dict keys unchanged, so
    checkpoints load and save as without compilation). The networks are the
    model's direct sub-modules with parameters, except its data
    preprocessor; frozen modules held outside the tree (teachers, VGG) stay
    eager. Returns their names."""
    if options is None:
        return []
    from mmengine.model import is_model_wrapper
    if is_model_wrapper(model):
        model = model.module
    names = []
    for name, child in model.named_children():
        if name == 'data_preprocessor' or not any(
                True for _ in child.parameters()):
            continue
        child.compile(**options)
        names.append(name)
    if logger is not None:
        logger.info(f'torch.compile {options or "(defaults)"}: compiled '
                    f'{", ".join(names)}; the first iterations take longer')
    return names
