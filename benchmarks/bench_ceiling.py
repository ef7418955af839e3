"""The machine's measured compute ceiling: a dense matrix product and a
3×3 convolution, per dtype, timed in the same run as the models.

Run through ``benchmarks/run_all.py`` (``--only ceiling``).
"""
from typing import Dict, Tuple

import torch
import torch.nn.functional as F

from _timing import gflops, interleaved_medians, markdown_table


def dtypes(device: str):
    return [torch.float32, torch.bfloat16] + (
        [torch.float16] if device == 'cuda' else [])


def run(args) -> Tuple[str, Dict[str, float]]:
    """Table and the best GFLOP/s per dtype name."""
    n = 1024 if args.quick and args.device == 'cpu' else (
        8192 if args.device == 'cuda' else 2048)
    # A convolution like MPRNet's/the ResNet's: 64 channels, 3×3.
    batch, ch, size = ((1, 64, 64) if args.quick and args.device == 'cpu'
                       else (8 if args.device == 'cuda' else 2, 64, 128))
    fns, work = {}, {}
    for dtype in dtypes(args.device):
        short = str(dtype).split('.')[-1]
        a = torch.randn(n, n, device=args.device, dtype=dtype)
        b = torch.randn(n, n, device=args.device, dtype=dtype)
        fns[f'matmul {n}² {short}'] = (lambda a=a, b=b: a @ b)
        work[f'matmul {n}² {short}'] = 2 * n ** 3
        w = torch.randn(ch, ch, 3, 3, device=args.device, dtype=dtype)
        for cl in (False, True):
            x = torch.randn(batch, ch, size, size, device=args.device,
                            dtype=dtype)
            wx = w
            if cl:
                x = x.contiguous(memory_format=torch.channels_last)
                wx = w.contiguous(memory_format=torch.channels_last)
            key = (f'conv3×3 {ch}→{ch} {batch}×{size}² {short}'
                   f'{" channels_last" if cl else ""}')
            fns[key] = (lambda x=x, wx=wx: F.conv2d(x, wx, padding=1))
            work[key] = 2 * batch * ch * ch * 9 * size * size
    repeat = 5 if args.device == 'cuda' else 1

    def many(fn):
        return lambda: [fn() for _ in range(repeat)]

    with torch.no_grad():
        times = interleaved_medians({k: many(f) for k, f in fns.items()},
                                    args.device, 1, max(3, args.steps))
    rows, best = [], {}
    for key, t in times.items():
        rate = gflops(work[key] * repeat, t)
        dtype = key.split()[-1] if not key.endswith('channels_last') \
            else key.split()[-2]
        best[dtype] = max(best.get(dtype, 0.0), rate)
        rows.append([key, f'{t / repeat * 1e3:.2f}', f'{rate:.0f}'])
    table = markdown_table(['kernel', 'time (ms)', 'GFLOP/s'], rows,
                           ['---', '---:', '---:'])
    table += '\n\nCeiling per dtype (best of the kernels above): ' + ', '.join(
        f'{k} {v:.0f} GFLOP/s' for k, v in best.items()) + '.'
    return table, best
