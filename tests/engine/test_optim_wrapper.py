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
    # bfloat16 asked for: the default depends on the CPU (native bfloat16
    # or not), which test_cpu_amp_dtype_follows_the_capability covers.
    model, wrapper = make_wrapper(dtype='bfloat16')
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


@pytest.fixture
def cpu_bf16(monkeypatch):
    """Set what the CPU reports: ``cpu_bf16(native)``."""
    from toolbox.engine import optim_wrapper as module

    def set_native(native: bool, capability: str = 'AVX512'):
        monkeypatch.setattr(module, 'cpu_capability', lambda: capability)
        monkeypatch.setattr(
            module, 'cpu_flags', lambda: frozenset(
                {'avx512f', 'avx512_bf16'} if native else {'avx512f'}))
        monkeypatch.setattr(module, '_warned_no_native_bf16', False)
        monkeypatch.setattr(module, 'print_log',
                            lambda msg, **kw: logged.append(msg))

    logged = []
    set_native.logged = logged
    return set_native


def test_cpu_amp_dtype_follows_the_capability(cpu_bf16):
    from toolbox.engine.optim_wrapper import cpu_amp_dtype
    cpu_bf16(True)
    assert cpu_amp_dtype() is torch.bfloat16
    cpu_bf16(False)
    assert cpu_amp_dtype() is None
    # PyTorch not dispatching AVX-512 kernels: no native bf16 either.
    cpu_bf16(True, capability='AVX2')
    assert cpu_amp_dtype() is None


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU path')
def test_cpu_amp_without_native_bf16_trains_float32_and_warns_once(
        cpu_bf16):
    cpu_bf16(False)
    # A GAN has one wrapper per network: one warning for all of them.
    wrappers = [make_wrapper() for _ in range(3)]
    assert len([m for m in cpu_bf16.logged if 'no native bfloat16' in m]) \
        == 1
    model, wrapper = wrappers[0]
    assert wrapper.cast_dtype is None
    with wrapper.optim_context(model):
        out = model(torch.randn(1, 3, 8, 8))
    assert out.dtype == torch.float32
    # Asked for explicitly, bfloat16 is used anyway.
    model, forced = make_wrapper(dtype='bfloat16')
    with forced.optim_context(model):
        assert model(torch.randn(1, 3, 8, 8)).dtype == torch.bfloat16


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU path')
def test_cpu_amp_with_native_bf16_uses_bfloat16(cpu_bf16):
    cpu_bf16(True)
    model, wrapper = make_wrapper()
    assert wrapper.cast_dtype is torch.bfloat16
    assert not cpu_bf16.logged
