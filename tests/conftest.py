"""Shared fixtures: keep tests single-threaded-friendly and importable."""
import os
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Two cores: keep intra-op threads low so parallel subprocess tests don't
# oversubscribe the machine.
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope='session')
def repo_root():
    """Absolute path of the repository (configs/, tools/)."""
    return ROOT
