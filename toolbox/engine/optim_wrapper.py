"""Mixed-precision optimiser wrapper that also works on CPU-only machines.

MMEngine 0.10.7's :class:`~mmengine.optim.AmpOptimWrapper` asserts that a GPU
(or NPU/MLU/MUSA) is present. :class:`MixedPrecisionOptimWrapper` behaves
exactly like it on accelerators (float16 with dynamic loss scaling by
default, or bfloat16), and on CPU runs the forward pass under bfloat16
autocast without a loss scaler (bfloat16 has float32's exponent range, so
gradients do not underflow and need no scaling) -- but only on a CPU with
native bfloat16 arithmetic (:func:`cpu_amp_dtype`). Elsewhere bfloat16 is
emulated and runs slower than float32 (docs/benchmarks.md), so the wrapper
warns once and trains in float32: ``--amp`` is never a slowdown.
"""
import functools
import re
from contextlib import contextmanager
from typing import FrozenSet, Optional, Union

import torch
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from toolbox.mmengine_private import set_scale_update_param
from toolbox.registry import OPTIM_WRAPPERS


def accelerator_available() -> bool:
    """Whether MMEngine's AMP wrapper can run (a GPU-like device exists)."""
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


#: /proc/cpuinfo flags of CPUs that compute in bfloat16 natively (AVX-512
#: BF16 dot products, AMX tiles); oneDNN emulates bfloat16 on the others.
NATIVE_BF16_FLAGS = frozenset({'avx512_bf16', 'amx_bf16'})


@functools.lru_cache(maxsize=None)
def cpu_flags() -> FrozenSet[str]:
    """The CPU's feature flags from ``/proc/cpuinfo`` (empty elsewhere)."""
    try:
        with open('/proc/cpuinfo') as f:
            found = re.search(r'^flags\s*:\s*(.*)$', f.read(), re.M)
    except OSError:
        return frozenset()
    return frozenset(found.group(1).split()) if found else frozenset()


def cpu_capability() -> str:
    """What PyTorch's CPU kernels were dispatched for (``'AVX512'``,
    ``'AVX2'``, ``'DEFAULT'`` …)."""
    try:
        return torch.backends.cpu.get_cpu_capability()
    except AttributeError:  # older PyTorch
        return 'DEFAULT'


def cpu_amp_dtype() -> Optional[torch.dtype]:
    """The autocast dtype ``--amp`` uses on this CPU: ``torch.bfloat16``
    where the CPU computes in bfloat16 natively (PyTorch dispatches AVX-512
    kernels and ``/proc/cpuinfo`` lists ``avx512_bf16`` or ``amx_bf16``),
    ``None`` (stay in float32) elsewhere.

    Without native support oneDNN emulates bfloat16 with float32 arithmetic
    plus conversions, slower than plain float32; CPU float16 autocast is
    emulated too. Unknown CPUs (no ``/proc/cpuinfo``) count as not native.
    """
    if not cpu_capability().startswith('AVX512'):
        return None
    return torch.bfloat16 if cpu_flags() & NATIVE_BF16_FLAGS else None


_warned_no_native_bf16 = False


def _warn_float32_once() -> None:
    global _warned_no_native_bf16
    if _warned_no_native_bf16:
        return
    _warned_no_native_bf16 = True
    print_log(
        'AMP: this CPU has no native bfloat16 (PyTorch dispatches '
        f'{cpu_capability()}; /proc/cpuinfo lists neither avx512_bf16 nor '
        'amx_bf16), where bfloat16 autocast is emulated and slower than '
        'float32: training in float32. Force it with '
        "optim_wrapper.dtype='bfloat16' (--amp-dtype bfloat16).",
        logger='current', level=30)


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """AMP on GPUs (float16 + loss scaling, or bfloat16) and CPUs (bfloat16).

    Args:
        loss_scale: as in :class:`~mmengine.optim.AmpOptimWrapper`; ignored
            on CPU.
        dtype: ``'float16'`` or ``'bfloat16'``. ``None`` picks float16 on
            GPUs and, on CPU, bfloat16 where the CPU has native bfloat16
            (:func:`cpu_amp_dtype`) and float32 (no autocast, one warning
            per process) elsewhere. ``'bfloat16'`` forces bfloat16 on any
            CPU. Asking for float16 on CPU is an error.
        **kwargs: passed to :class:`~mmengine.optim.OptimWrapper`.
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 **kwargs):
        if accelerator_available():
            super().__init__(loss_scale=loss_scale, dtype=dtype, **kwargs)
            return
        OptimWrapper.__init__(self, **kwargs)
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        if dtype not in (None, torch.bfloat16):
            raise ValueError(
                f'optim_wrapper.dtype={dtype} is not supported on CPU: CPU '
                "autocast runs in bfloat16; use dtype='bfloat16' or None.")
        if dtype is None:
            dtype = cpu_amp_dtype()
            if dtype is None:
                _warn_float32_once()
        #: ``None``: float32 (no autocast) on a CPU without native bfloat16.
        self.cast_dtype = dtype
        self.loss_scaler = None
        set_scale_update_param(self, None)

    def backward(self, loss: torch.Tensor, **kwargs):
        if self.loss_scaler is None:
            return OptimWrapper.backward(self, loss, **kwargs)
        return super().backward(loss, **kwargs)

    def step(self, **kwargs):
        if self.loss_scaler is None:
            return OptimWrapper.step(self, **kwargs)
        return super().step(**kwargs)

    def state_dict(self) -> dict:
        if self.loss_scaler is None:
            return OptimWrapper.state_dict(self)
        return super().state_dict()

    def load_state_dict(self, state_dict: dict):
        if self.loss_scaler is None:
            # A checkpoint written on a GPU carries the scaler state: the
            # optimizer state is still valid, the scaler is not needed.
            state_dict = dict(state_dict)
            state_dict.pop('loss_scaler', None)
            return OptimWrapper.load_state_dict(self, state_dict)
        return super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        if self.loss_scaler is not None:
            with super().optim_context(model):
                yield
            return
        if self.cast_dtype is None:
            with OptimWrapper.optim_context(self, model):
                yield
            return
        with OptimWrapper.optim_context(self, model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
