"""Every DDP rank its own data randomness, also without dataloader workers.

MMEngine seeds Python's ``random`` and NumPy's global generator with
``randomness.seed`` on every rank alike, and seeds dataloader workers per
rank and worker (``seed + num_workers * rank + worker_id``). With
``num_workers=0`` (every demo config) the data pipeline runs in the
training process and draws from the identically seeded generators: every
rank would crop at the same places, flip alike and, with an
:class:`~toolbox.datasets.UnpairedImageDataset`, draw the same domain-B
image at every step (issue 28). :class:`RankDataSeedHook`, one of the
default hooks (``default_hooks.rank_data_seed``), re-seeds both generators
of rank ``r > 0`` before training from ``(seed, r)`` (a NumPy
``SeedSequence``, so no rank's seed is another run's); rank 0 keeps the
run's seed and so draws as a single process does. PyTorch's generator is
left alone (it draws model-side randomness, and the samplers have their
own, seeded alike on purpose so that the ranks split one permutation).
MMEngine's ``randomness.diff_rank_seed=True`` is no substitute: it offsets
the samplers' seeds too, and the ranks' shards then overlap.
"""
import random

import numpy as np
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook

from toolbox.registry import HOOKS


def rank_data_seeds(seed: int, rank: int) -> tuple:
    """``(python_seed, numpy_seed)`` of ``rank`` for the run's ``seed``."""
    python_seed, numpy_seed = np.random.SeedSequence(
        [seed, rank]).generate_state(2)
    return int(python_seed), int(numpy_seed)


@HOOKS.register_module()
class RankDataSeedHook(Hook):
    """Re-seed Python's and NumPy's generators per rank (module docstring).
    """

    # before_run comes before the checkpoint is loaded and before the first
    # batch: a resume then puts back the per-rank states saved in the
    # checkpoint (ExactResumeHook) over these seeds.
    def before_run(self, runner) -> None:
        rank, world_size = get_dist_info()
        if world_size == 1 or rank == 0:
            return
        python_seed, numpy_seed = rank_data_seeds(runner.seed, rank)
        random.seed(python_seed)
        np.random.seed(numpy_seed)
