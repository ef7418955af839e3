"""Speed of MPRNet training steps and inference on this machine.

    python benchmarks/bench_mprnet.py [--variant deraining] [--batch 2]
        [--size 128] [--repeats 3] [--official path/to/MPRNet.py]

Prints a markdown table: the toolbox MPRNet (and, with ``--official``, the
official implementation file of swz30/MPRNet, which the toolbox does not
ship) in float32 and with bfloat16 autocast + channels_last. A training step
is forward + Charbonnier on the three stage outputs + backward + Adam step;
FLOP/s counts the forward and backward FLOPs (torch's FlopCounterMode)
divided by the measured time.
"""
import argparse
import importlib.util
import time
from contextlib import nullcontext

import torch
from torch.utils.flop_counter import FlopCounterMode

from toolbox.models.backbones.mprnet import MPRNET_VARIANTS, MPRNet
from toolbox.models.losses.pixel import CharbonnierLoss


def load_official(path, variant):
    spec = importlib.util.spec_from_file_location('official_mprnet', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    n, s, o = MPRNET_VARIANTS[variant]
    return module.MPRNet(n_feat=n, scale_unetfeats=s, scale_orsnetfeats=o)


def autocast(amp):
    return torch.autocast('cpu', dtype=torch.bfloat16) if amp else \
        nullcontext()


def train_step(model, optimizer, loss_fn, x, y, amp):
    with autocast(amp):
        outputs = model(x)
        loss = sum(loss_fn(o.float(), y) for o in outputs)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def timed(fn, repeats):
    fn()  # warm-up (allocations, oneDNN kernel selection)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def count_flops(fn):
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


def bench(name, model, args):
    rows = []
    x = torch.rand(args.batch, 3, args.size, args.size)
    y = torch.rand(args.batch, 3, args.size, args.size)
    loss_fn = CharbonnierLoss()
    for amp in (False, True):
        if amp:
            model = model.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
        model.train()
        step = lambda: train_step(model, optimizer, loss_fn, x, y, amp)  # noqa
        step_flops = count_flops(step)
        step_time = timed(step, args.repeats)
        model.eval()

        def infer():
            with torch.no_grad(), autocast(amp):
                model(x)

        infer_flops = count_flops(infer)
        infer_time = timed(infer, args.repeats)
        mode = 'bf16 autocast + channels_last' if amp else 'float32'
        rows.append((name, mode, step_time, step_flops / step_time / 1e9,
                     infer_time, infer_flops / infer_time / 1e9))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--variant', default='deraining',
                        choices=sorted(MPRNET_VARIANTS))
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--official', help="path to the official MPRNet.py")
    args = parser.parse_args()
    torch.manual_seed(0)
    rows = bench('toolbox', MPRNet(variant=args.variant), args)
    if args.official:
        rows += bench('official', load_official(args.official, args.variant),
                      args)
    print(f'MPRNet {args.variant}, batch {args.batch}, {args.size}², '
          f'{torch.get_num_threads()} threads, torch {torch.__version__}\n')
    print('| implementation | precision | train step (s) | train GFLOP/s '
          '| inference (s) | inference GFLOP/s |')
    print('| --- | --- | --- | --- | --- | --- |')
    for name, mode, st, sf, it, inf in rows:
        print(f'| {name} | {mode} | {st:.2f} | {sf:.1f} | {it:.2f} | '
              f'{inf:.1f} |')


if __name__ == '__main__':
    main()
