import pytest
import torch
from torch import nn

from toolbox.engine.optim_wrapper import MixedPrecisionOptimWrapper
from toolbox.registry import OPTIM_WRAPPERS


def make_wrapper(**kwargs):
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(4, 3, 3, padding=1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='MixedPrecisionOptimWrapper', optimizer=optimizer,
             **kwargs))
    return model, wrapper


def test_cpu_amp_runs_bfloat16_and_updates(cpu_only):
    model, wrapper = make_wrapper()
    assert isinstance(wrapper, MixedPrecisionOptimWrapper)
    assert wrapper.loss_scaler is None
    before = [p.detach().clone() for p in model.parameters()]
    x = torch.randn(2, 3, 8, 8)
    with wrapper.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().pow(2).mean())
    assert any(not torch.equal(b, p) for b, p in zip(before,
                                                      model.parameters()))
    state = wrapper.state_dict()
    assert 'loss_scaler' not in state
    wrapper.load_state_dict(dict(state, loss_scaler={'scale': 1.0}))


def test_cpu_amp_refuses_float16(cpu_only):
    with pytest.raises(ValueError, match='bfloat16'):
        make_wrapper(dtype='float16')
