"""Distributed training on CPU-only machines (gloo), next to MMEngine's.

MMEngine 0.10.7's ``pytorch`` and ``slurm`` launchers call
``torch.cuda.set_device`` and its runner wraps the model in DDP with
``device_ids=[local_rank]``; both fail when PyTorch has no CUDA. When CUDA is
absent, :func:`setup_distributed` initialises the gloo process group itself
(the runner then skips its own initialisation) and sets ``device_ids=None``
in ``model_wrapper_cfg``. With CUDA, MMEngine's own path (NCCL) is used.
"""
import gc
import os
import subprocess
from datetime import timedelta

import torch
import torch.distributed as dist
from mmengine.config import Config

#: Seconds a collective (all-reduce, barrier, broadcast) waits for the
#: other ranks before it fails: a rank that died without closing its
#: connections, or hangs, then stops every other rank with an error
#: instead of a hang. ``env_cfg.dist_cfg.timeout`` in a config, or the
#: environment variable below, which wins.
DEFAULT_TIMEOUT_S = 1800
TIMEOUT_ENV = 'TOOLBOX_DIST_TIMEOUT'


def collective_timeout(cfg: Config) -> int:
    """The collective timeout of a run, in seconds (see
    :data:`DEFAULT_TIMEOUT_S`)."""
    if os.environ.get(TIMEOUT_ENV):
        return int(float(os.environ[TIMEOUT_ENV]))
    dist_cfg = (cfg.get('env_cfg') or {}).get('dist_cfg') or {}
    return int(dist_cfg.get('timeout') or DEFAULT_TIMEOUT_S)


def _slurm_environment(port: int) -> None:
    """Derive torch.distributed's env:// variables from Slurm's."""
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ['SLURM_LOCALID'])
    if 'MASTER_ADDR' not in os.environ:
        node_list = os.environ['SLURM_NODELIST']
        first_host = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')
        os.environ['MASTER_ADDR'] = first_host
    os.environ.setdefault('MASTER_PORT', str(port))


def init_cpu_process_group(launcher: str, port: int = 29500,
                           timeout_s: int = 1800) -> None:
    """Initialise a gloo process group from the launcher's environment."""
    if dist.is_initialized():
        return
    if launcher == 'slurm':
        _slurm_environment(port)
    elif launcher != 'pytorch':
        raise ValueError(
            f"--launcher {launcher!r} is not supported without CUDA; use "
            "'pytorch' (torchrun, tools/dist_train.sh) or 'slurm'.")
    missing = [
        k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
        if k not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher {launcher} needs the environment variables '
            f'{missing}; start the job with tools/dist_train.sh (torchrun) '
            'or tools/slurm_train.sh.')
    dist.init_process_group(
        backend='gloo', timeout=timedelta(seconds=timeout_s))
    # Printed by every rank (MMEngine's logger speaks for rank 0 only).
    print(f'toolbox: gloo process group ready (no CUDA): rank '
          f'{dist.get_rank()} of world size {dist.get_world_size()} '
          f'(pid {os.getpid()})',
          flush=True)


def setup_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` (and the process group) for ``launcher``.

    Sets the collective timeout (:func:`collective_timeout`) in
    ``env_cfg.dist_cfg``; without CUDA also starts the gloo group. Does
    nothing for ``launcher='none'``.
    """
    if launcher == 'none':
        return
    timeout_s = collective_timeout(cfg)
    # MMEngine's own (CUDA) initialisation reads it from here too.
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['timeout'] = \
        timeout_s
    if torch.cuda.is_available():
        return
    init_cpu_process_group(launcher,
                           port=int(os.environ.get('MASTER_PORT', 29500)),
                           timeout_s=timeout_s)
    wrapper_cfg = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
    # DDP on CPU modules needs device_ids=None (a list means CUDA devices).
    wrapper_cfg['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper_cfg
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'


def finish_distributed() -> None:
    """Leave the process group cleanly at the end of a tool.

    Call it after dropping the last reference to the runner (``del
    runner``). A DDP wrapper keeps the gloo process group alive, so
    ``destroy_process_group`` alone does not free it; it is then freed
    during interpreter shutdown, where tearing down its worker threads
    sometimes aborts the rank ("terminate called without an active
    exception", exit code -6; about one two-process run in twelve here)
    after a successful run, which torchrun reports as a failure. Collecting
    garbage first frees the runner's reference cycles, so the group is torn
    down here, while Python is alive. The barrier lets every rank finish
    its last collective before any of them tears the group down.
    """
    if dist.is_available() and dist.is_initialized():
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()
