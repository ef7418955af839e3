import pytest
import torch
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from torch import nn

import toolbox.engine  # noqa: F401  (registers the constructor)
from toolbox.engine.optim_constructor import MultiOptimWrapperConstructor


class TwoNets(nn.Module):

    def __init__(self):
        super().__init__()
        self.gen_a = nn.Linear(2, 2)
        self.gen_b = nn.Linear(2, 2)
        self.disc = nn.Linear(2, 1)


def build(model, **entries):
    cfg = dict(constructor='MultiOptimWrapperConstructor', **entries)
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('toolbox'):
        return build_optim_wrapper(model, cfg)


def test_one_wrapper_per_entry_over_the_named_modules():
    model = TwoNets()
    wrappers = build(
        model,
        generators=dict(optimizer=dict(type='Adam', lr=1e-3,
                                       betas=(0.5, 0.999)),
                        modules=('gen_a', 'gen_b')),
        disc=dict(optimizer=dict(type='SGD', lr=0.1),
                  clip_grad=dict(max_norm=1.0)))
    assert isinstance(wrappers, OptimWrapperDict)
    assert set(wrappers.keys()) == {'generators', 'disc'}
    gen_params = {id(p) for g in wrappers['generators'].param_groups
                  for p in g['params']}
    expected = {id(p) for m in (model.gen_a, model.gen_b)
                for p in m.parameters()}
    assert gen_params == expected
    assert isinstance(wrappers['disc'].optimizer, torch.optim.SGD)
    assert wrappers['disc'].clip_grad_kwargs == dict(max_norm=1.0)
    assert wrappers['generators'].param_groups[0]['betas'] == (0.5, 0.999)


def test_unknown_module_and_shared_parameters_are_errors():
    model = TwoNets()
    opt = dict(type='SGD', lr=0.1)
    with pytest.raises(KeyError, match='gen_c'):
        build(model, g=dict(optimizer=opt, modules='gen_c'))
    with pytest.raises(ValueError, match='same parameters'):
        build(model, g=dict(optimizer=opt, modules=('gen_a', 'gen_b')),
              h=dict(optimizer=opt, modules='gen_a'))
    with pytest.raises(TypeError, match="'optimizer'"):
        MultiOptimWrapperConstructor(dict(g=dict(lr=1)))
