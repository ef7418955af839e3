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


#: The files that take longest (seconds of one core, measured with
#: ``--durations`` on 2026-12-07, Intel Xeon), heaviest first. ``--dist
#: loadfile`` hands files to the workers in collection order, so a heavy
#: file collected last keeps one core busy while the other idles (a tail of
#: minutes); collected first, the light files fill in around them.
HEAVY_FILES = (
    'tests/models/test_gan_learning.py',        # ~160 s
    'tests/tools/test_gan_tools.py',            # ~150 s
    'tests/tools/test_train_test_tools.py',     # ~120 s
    'tests/tools/test_uniremoval_da_tools.py',  # ~110 s
    'tests/tools/test_ddp_checkpoints.py',      # ~90 s
    'tests/tools/test_dcdgan_tools.py',         # ~70 s
    'tests/tools/test_uniremoval_kt_tools.py',  # ~50 s
    'tests/tools/test_create_lmdb.py',          # ~40 s
    'tests/tools/test_analyze_logs.py',         # ~40 s
    'tests/apis/test_export.py',                # ~40 s
    'tests/tools/test_reliability.py',          # ~35 s
)


def pytest_collection_modifyitems(session, config, items):
    """Run :data:`HEAVY_FILES` first (in that order), the rest as
    collected; the order within a file is kept."""
    rank = {name: i for i, name in enumerate(HEAVY_FILES)}

    def key(item):
        path = os.path.relpath(str(item.fspath), ROOT).replace(os.sep, '/')
        return rank.get(path, len(HEAVY_FILES))
    items.sort(key=key)  # stable: the rest keep their order


@pytest.fixture(scope='session')
def repo_root():
    """Absolute path of the repository (configs/, tools/)."""
    return ROOT


@pytest.fixture
def cpu_only(monkeypatch):
    """Run the CPU code path in-process even where a GPU is visible (for
    subprocesses, pass :data:`tests.helpers.CPU_ONLY_ENV` in their env)."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
