"""One training run per work dir at a time.

Two trainings into one work dir write ``iter_N.pth`` files and
``last_checkpoint`` in turn: the second's checkpoints replace the first's,
``last_checkpoint`` names whichever saved last, and ``--resume`` then
continues a mix of the two. :func:`work_dir_lock` holds ``<work_dir>/.lock``
(:func:`toolbox.locking.exclusive_lock`) for the run, so a second one is
refused before it writes anything. :func:`~toolbox.app.runs.
train_from_config` takes it, so ``tools/train.py`` and ``tools/demo.py``
both do.

Only rank 0 locks in a distributed run: every rank writes into the same
work dir as one run, and only rank 0 writes checkpoints (MMEngine). When
rank 0 is refused, it exits and the launcher (torchrun) stops the other
ranks. ``tools/test.py`` does not lock: it writes no checkpoint, only its own
timestamped log folder in the work dir (and ``--out`` where asked, written
atomically), so it can evaluate while a training runs there.
"""
import contextlib
import os
from typing import Iterator

from mmengine.config import Config

from toolbox.locking import exclusive_lock

#: The lock file a training holds in its work dir.
WORK_DIR_LOCK = '.lock'


def _rank(cfg: Config) -> int:
    """This process' rank; also before MMEngine starts the process group
    (the CUDA path starts it in the Runner), from the launcher's
    environment."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    if cfg.get('launcher', 'none') == 'none':
        return 0
    return int(os.environ.get('RANK', os.environ.get('SLURM_PROCID', 0)))


@contextlib.contextmanager
def work_dir_lock(cfg: Config) -> Iterator[None]:
    """Hold ``<cfg.work_dir>/.lock`` for the ``with`` block (on rank 0).

    Raises:
        LockHeldError: another live run holds it (a user error: exit 2);
            the message names the work dir, the holder's pid and the way
            on. A lock left by a killed run does not block (the kernel
            released it).
    """
    if _rank(cfg) != 0:
        yield
        return
    work_dir = cfg.work_dir
    os.makedirs(work_dir, exist_ok=True)
    with exclusive_lock(
            os.path.join(work_dir, WORK_DIR_LOCK),
            f'work dir {work_dir} is in use by another training run '
            '({holder}; lock {lock}): two runs into one work dir would '
            'overwrite each other\'s checkpoints and last_checkpoint. Wait '
            'for it to end, or pass another --work-dir.'):
        yield


__all__ = ['work_dir_lock', 'WORK_DIR_LOCK']
