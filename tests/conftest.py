"""Shared fixtures: keep tests single-threaded-friendly and importable."""
import os
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# One intra-op thread: the tests' tensors are tiny (threads gain nothing),
# and on a 2-core machine the OpenMP threads of concurrent jobs (the
# subprocess tests, or other work on a shared machine) slow each other down
# many times over.
torch.set_num_threads(1)

# The suite never reaches the network: models that would fetch pretrained
# weights (VGG-19) report the missing file instead; the tools the tests run
# in subprocesses inherit it. tests/engine/test_pretrained.py turns it off
# to download from local file:// addresses.
os.environ['TOOLBOX_OFFLINE'] = '1'


@pytest.fixture(scope='session')
def repo_root():
    """Absolute path of the repository (configs/, tools/)."""
    return ROOT


@pytest.fixture
def cpu_only(monkeypatch):
    """Run the CPU code path in-process even where a GPU is visible (for
    subprocesses, pass :data:`tests.helpers.CPU_ONLY_ENV` in their env)."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
