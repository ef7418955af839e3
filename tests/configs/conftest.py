"""Speed-ups shared by the config tests that train every config for a few
iterations (``pytestmark = pytest.mark.usefixtures(...)`` in each file)."""
import gc

import pytest


@pytest.fixture
def unformatted_config_dumps(monkeypatch):
    """The Runner logs and dumps the config 5 times through yapf, which
    costs seconds per run on big configs; the layout of that text is not
    under test, so it is written unformatted (still valid Python)."""
    import mmengine.config.config as mmengine_config
    monkeypatch.setattr(mmengine_config, 'FormatCode',
                        lambda text, **kwargs: (text, False))


@pytest.fixture(scope='module')
def frozen_heap():
    """MMEngine datasets call gc.collect() when they serialise their data
    list (11 times per run of a Uni-Removal config); freezing the objects
    alive now (torch, mmengine) makes each collection cheap."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()
