"""The private MMEngine state toolbox.mmengine_private reads and writes is
still where it was (MMEngine 0.10.7): a release that moves one fails here,
naming it, before any training run does."""
import inspect

import mmengine
import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.optim.scheduler import LinearLR
from mmengine.runner import Runner

from toolbox import mmengine_private as private


def sgd_wrapper(**kwargs):
    layer = torch.nn.Linear(2, 2)
    return OptimWrapper(torch.optim.SGD(layer.parameters(), lr=0.1),
                        **kwargs)


def test_optimiser_wrapper_counts_and_clipping():
    wrapper = sgd_wrapper(accumulative_counts=3,
                          clip_grad=dict(max_norm=1.0))
    assert private.accumulative_counts(wrapper) == 3
    before = wrapper._inner_count
    private.count_backward(wrapper)
    assert wrapper._inner_count == before + 1
    private.clip_gradients(wrapper)  # no gradients yet: a no-op, no error
    # The scaler's update argument, set in AmpOptimWrapper.__init__ (which
    # needs a GPU to run) and read by its step.
    source = inspect.getsource(AmpOptimWrapper)
    assert 'self._scale_update_param' in source
    private.set_scale_update_param(wrapper, None)
    assert private.scale_update_param(wrapper) is None


def test_file_backend_cache():
    from mmengine.fileio import io as mmengine_io
    assert isinstance(mmengine_io.backend_instances, dict)
    private.clear_file_backend_cache()


def test_runner_scheduler_and_config_fields():
    init = inspect.getsource(Runner.__init__)
    assert 'self._load_from' in init and 'self._resume' in init
    assert 'self._has_loaded = False' in init
    assert 'if self._has_loaded:' in inspect.getsource(Runner.load_or_resume)
    layer = torch.nn.Linear(2, 2)
    scheduler = LinearLR(torch.optim.SGD(layer.parameters(), lr=0.1),
                         by_epoch=False, end=4)
    assert private.scheduler_global_step(scheduler) == \
        scheduler._global_step
    cfg = Config(dict(a=dict(b=1)))
    assert private.config_dict(cfg)['a']['b'] == 1


def test_checked_against_names_a_release():
    major, minor = (int(x) for x in private.CHECKED_AGAINST.split('.')[:2])
    installed = tuple(int(x) for x in mmengine.__version__.split('.')[:2])
    # setup.py pins mmengine to 0.10.x; a wider pin needs these re-checked.
    assert installed == (major, minor), (
        f'MMEngine {mmengine.__version__} is installed; '
        f'toolbox/mmengine_private.py was checked against '
        f'{private.CHECKED_AGAINST}: re-check it and update CHECKED_AGAINST')
