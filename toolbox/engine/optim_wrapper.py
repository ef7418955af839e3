"""Mixed-precision optimiser wrapper that also works on CPU-only machines.

MMEngine 0.10.7's :class:`~mmengine.optim.AmpOptimWrapper` asserts that a GPU
(or NPU/MLU/MUSA) is present. :class:`MixedPrecisionOptimWrapper` behaves
exactly like it on accelerators (float16 with dynamic loss scaling by
default, or bfloat16), and on CPU runs the forward pass under bfloat16
autocast without a loss scaler (bfloat16 has float32's exponent range, so
gradients do not underflow and need no scaling).
"""
from contextlib import contextmanager
from typing import Optional, Union

import torch
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from toolbox.registry import OPTIM_WRAPPERS


def accelerator_available() -> bool:
    """Whether MMEngine's AMP wrapper can run (a GPU-like device exists)."""
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """AMP on GPUs (float16 + loss scaling, or bfloat16) and CPUs (bfloat16).

    Args:
        loss_scale: as in :class:`~mmengine.optim.AmpOptimWrapper`; ignored
            on CPU.
        dtype: ``'float16'`` or ``'bfloat16'``. ``None`` picks float16 on
            GPUs and bfloat16 on CPU. Asking for float16 on CPU is an error.
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
        self.cast_dtype = torch.bfloat16
        self.loss_scaler = None
        self._scale_update_param = None

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
        with OptimWrapper.optim_context(self, model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
