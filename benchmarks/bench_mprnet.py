"""Speed of MPRNet training steps and inference on this machine (CPU).

    python benchmarks/bench_mprnet.py [--variant deraining] [--batch 2]
        [--size 128] [--repeats 3] [--official path/to/MPRNet.py]
        [--write docs/benchmarks.md]

Prints a markdown table: the toolbox MPRNet and, with ``--official``, the
official implementation (``Deraining/MPRNet.py`` of swz30/MPRNet, which the
toolbox does not ship), each in float32 and with bfloat16 autocast +
channels_last. A training step is forward + Charbonnier loss on the three
stage outputs + backward + Adam step; inference is one forward pass under
``no_grad``. Times are the minimum over ``--repeats`` after one warm-up
run; implementations are timed in turn, repetition by repetition, so that a
load change on a shared machine hits both alike. FLOP/s divides the FLOPs
that ``torch.utils.flop_counter.FlopCounterMode`` counts (convolutions and
matrix products, forward and backward) by the measured time. ``--write``
replaces the table between the ``bench_mprnet`` markers of a markdown file.
"""
import argparse
import importlib.util
import time
from contextlib import nullcontext

import torch
from torch.utils.flop_counter import FlopCounterMode

from toolbox.models.backbones.mprnet import MPRNET_VARIANTS, MPRNet
from toolbox.models.losses.pixel import CharbonnierLoss

# benchmarks/_report.py: the script's folder is first on sys.path.
from _report import cpu_name, write_section  # noqa: E402

MODES = ('float32', 'bf16 autocast + channels_last')


def load_official(path, variant):
    """The official MPRNet class from its source file, at ``variant``'s
    widths."""
    spec = importlib.util.spec_from_file_location('official_mprnet', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    n_feat, s_unet, s_ors = MPRNET_VARIANTS[variant]
    return module.MPRNet(n_feat=n_feat, scale_unetfeats=s_unet,
                         scale_orsnetfeats=s_ors)


class Case:
    """One implementation in one precision: its step and inference calls."""

    def __init__(self, model, amp, batch, size):
        self.amp = amp
        self.x = torch.rand(batch, 3, size, size)
        self.y = torch.rand(batch, 3, size, size)
        if amp:
            model = model.to(memory_format=torch.channels_last)
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)
        self.loss = CharbonnierLoss()

    def autocast(self):
        return torch.autocast('cpu', dtype=torch.bfloat16) if self.amp \
            else nullcontext()

    def step(self):
        self.model.train()
        with self.autocast():
            outputs = self.model(self.x)
            loss = sum(self.loss(o.float(), self.y) for o in outputs)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def infer(self):
        self.model.eval()
        with torch.no_grad(), self.autocast():
            self.model(self.x)


def count_flops(fn):
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return counter.get_total_flops()


def time_in_turn(fns, repeats):
    """Minimum time of each function; each repetition runs all of them."""
    for fn in fns:
        fn()  # warm-up: allocations, oneDNN kernel choice
    times = [float('inf')] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i] = min(times[i], time.perf_counter() - start)
    return times


def run(args):
    builders = {'toolbox': lambda: MPRNet(variant=args.variant)}
    if args.official:
        builders['official'] = lambda: load_official(args.official,
                                                     args.variant)
    rows = []
    for amp, mode in zip((False, True), MODES):
        cases = {}
        for name, build in builders.items():
            torch.manual_seed(0)
            cases[name] = Case(build(), amp, args.batch, args.size)
        names = list(cases)
        step_flops = [count_flops(cases[n].step) for n in names]
        infer_flops = [count_flops(cases[n].infer) for n in names]
        step_times = time_in_turn([cases[n].step for n in names],
                                  args.repeats)
        infer_times = time_in_turn([cases[n].infer for n in names],
                                   args.repeats)
        for i, name in enumerate(names):
            rows.append((name, mode, step_times[i],
                         step_flops[i] / step_times[i] / 1e9,
                         infer_times[i], infer_flops[i] / infer_times[i] / 1e9,
                         step_flops[i] / 1e9, infer_flops[i] / 1e9))
    return rows


def format_table(args, rows):
    params = sum(p.numel() for p in MPRNet(variant=args.variant).parameters())
    lines = [
        f'MPRNet {args.variant} ({params:,} parameters), '
        f'batch {args.batch}, {args.size}×{args.size}, '
        f'{torch.get_num_threads()} threads on {cpu_name()}, '
        f'torch {torch.__version__}; minimum of {args.repeats} runs.',
        '',
        '| implementation | precision | train step (s) | train GFLOP/s '
        '| inference (s) | inference GFLOP/s |',
        '| --- | --- | ---: | ---: | ---: | ---: |',
    ]
    for name, mode, st, sf, it, inf, _, _ in rows:
        lines.append(f'| {name} | {mode} | {st:.2f} | {sf:.1f} | {it:.2f} '
                     f'| {inf:.1f} |')
    step_gflop, infer_gflop = rows[0][6], rows[0][7]
    lines += ['', f'Counted work (toolbox, float32): {step_gflop:.1f} GFLOP '
              f'per training step, {infer_gflop:.1f} GFLOP per inference.']
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--variant', default='deraining',
                        choices=sorted(MPRNET_VARIANTS))
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--official', help='path to the official MPRNet.py')
    parser.add_argument('--write', metavar='MARKDOWN',
                        help='put the table into this file (between the '
                        'bench_mprnet markers)')
    args = parser.parse_args()
    table = format_table(args, run(args))
    print(table)
    if args.write:
        write_section(args.write, 'bench_mprnet', table)


if __name__ == '__main__':
    main()
