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


@pytest.fixture(autouse=True)
def _forget_mmengine_instances():
    """What train_from_config does for each run, for every test: MMEngine
    keeps a run's logger, visualizer, message hub and scope by experiment
    name (``<config>_<second>``) for the life of the process, so a test that
    builds a Runner itself would hand them, still writing to its work dir,
    to the next run of that config in the same second in this worker."""
    from toolbox.app.runs import run_scope
    with run_scope():
        yield


@pytest.fixture(scope='session')
def repo_root():
    """Absolute path of the repository (configs/, tools/)."""
    return ROOT


@pytest.fixture
def cpu_only(monkeypatch):
    """Run the CPU code path in-process even where a GPU is visible (for
    subprocesses, pass :data:`tests.helpers.CPU_ONLY_ENV` in their env)."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
