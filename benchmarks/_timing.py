"""Timing helpers the benchmark scripts share: device-aware clocks,
interleaved medians, FLOP counting, the machine description."""
import os
import platform
import statistics
import subprocess
import time
from contextlib import nullcontext
from typing import Callable, Dict, List, Optional

import torch
from torch.utils.flop_counter import FlopCounterMode

from _report import cpu_name


def synchronize(device: str) -> None:
    """Wait for queued GPU work so that a clock reading covers it."""
    if device == 'cuda':
        torch.cuda.synchronize()


def timed(fn: Callable, device: str) -> float:
    """Seconds ``fn()`` takes, GPU work included."""
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def interleaved_medians(fns: Dict[str, Callable], device: str, warmup: int,
                        steps: int) -> Dict[str, float]:
    """Median time of each function, running them in turn step by step.

    One step of every function, then the next step of every function …, so
    that a change of machine load (other processes on a shared machine)
    hits all of them alike. The first ``warmup`` rounds are not counted
    (allocations, oneDNN/cuDNN kernel choice, autotuning).
    """
    times = {name: [] for name in fns}
    for i in range(warmup + steps):
        for name, fn in fns.items():
            t = timed(fn, device)
            if i >= warmup:
                times[name].append(t)
    return {name: statistics.median(t) for name, t in times.items()}


def count_flops(fn: Callable) -> float:
    """FLOPs ``torch.utils.flop_counter`` counts in one call of ``fn``
    (convolutions and matrix products, forward and backward)."""
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return float(counter.get_total_flops())


def autocast(device: str, dtype: Optional[torch.dtype]):
    return torch.autocast(device, dtype=dtype) if dtype else nullcontext()


def load_average() -> str:
    try:
        return ', '.join(f'{x:.2f}' for x in os.getloadavg())
    except OSError:
        return 'n/a'


def uptime_line() -> str:
    try:
        return subprocess.run(['uptime'], capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f'load average: {load_average()}'


def machine_line(device: str) -> str:
    """Device, threads, PyTorch, CPU capability and native bf16 flags."""
    from toolbox.engine.optim_wrapper import (NATIVE_BF16_FLAGS,
                                              cpu_amp_dtype, cpu_capability,
                                              cpu_flags)
    flags = sorted(cpu_flags() & (NATIVE_BF16_FLAGS | {
        'avx512f', 'avx512_fp16', 'amx_tile', 'amx_int8', 'avx2'}))
    amp = cpu_amp_dtype()
    cpu = (f'CPU {cpu_name()} ({platform.machine()}), '
           f'{torch.get_num_threads()} threads of {os.cpu_count()} cores, '
           f'PyTorch CPU capability {cpu_capability()}, flags '
           f'{" ".join(flags) or "n/a"} → `--amp` on CPU: '
           f'{"bfloat16" if amp else "float32 (no native bfloat16)"}')
    if device == 'cuda':
        props = torch.cuda.get_device_properties(0)
        gpu = (f'GPU {props.name} ({props.total_memory / 2**30:.0f} GiB, '
               f'CUDA {torch.version.cuda}, cuDNN '
               f'{torch.backends.cudnn.version()}); ')
    else:
        gpu = ''
    return (f'{gpu}{cpu}; torch {torch.__version__}; load average '
            f'{load_average()} at the start')


def gflops(flops: float, seconds: float) -> float:
    return flops / seconds / 1e9 if seconds > 0 else float('nan')


def fmt_ratio(x: float) -> str:
    return f'{x:.2f}×'


def verdict(ok: bool, why: str = '') -> str:
    return 'met' if ok else f'**not met**{": " + why if why else ""}'


def markdown_table(header: List[str], rows: List[List[str]],
                   align: Optional[List[str]] = None) -> str:
    align = align or ['---'] * len(header)
    lines = ['| ' + ' | '.join(header) + ' |',
             '| ' + ' | '.join(align) + ' |']
    lines += ['| ' + ' | '.join(str(c) for c in row) + ' |' for row in rows]
    return '\n'.join(lines)
