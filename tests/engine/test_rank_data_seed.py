"""RankDataSeedHook in-process (two real processes: test_gan_tools.py's
test_dist_train_ranks_draw_their_own_domain_b_images)."""
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from toolbox.engine import rank_data_seed
from toolbox.engine.rank_data_seed import RankDataSeedHook


def draws_as(monkeypatch, rank, world_size, seed=0):
    """What Python, NumPy and PyTorch draw first on ``rank``."""
    monkeypatch.setattr(rank_data_seed, 'get_dist_info',
                        lambda: (rank, world_size))
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    RankDataSeedHook().before_run(SimpleNamespace(seed=seed))
    return random.random(), np.random.rand(), torch.rand(()).item()


@pytest.mark.parametrize('rank, world_size', [(0, 1), (0, 2)])
def test_one_process_and_rank_0_keep_the_seed(monkeypatch, rank, world_size):
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    expected = random.random(), np.random.rand(), torch.rand(()).item()
    assert draws_as(monkeypatch, rank, world_size) == expected


def test_other_ranks_draw_their_own_data_randomness(monkeypatch):
    rank0 = draws_as(monkeypatch, 0, 4)
    others = [draws_as(monkeypatch, r, 4) for r in (1, 2, 3)]
    python_numpy = {d[:2] for d in [rank0] + others}
    assert len(python_numpy) == 4
    # Reproducible per (seed, rank); PyTorch's generator is left alone.
    assert draws_as(monkeypatch, 2, 4) == others[1]
    assert {d[2] for d in [rank0] + others} == {rank0[2]}
    assert draws_as(monkeypatch, 1, 4, seed=1)[:2] != others[0][:2]
