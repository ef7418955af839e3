"""Every speed benchmark of the toolbox, in one command.

    python benchmarks/run_all.py [--device cpu|cuda] [--quick]
        [--official-mprnet PATH] [--official-cut PATH] [--official-dcdgan PATH]
        [--only ceiling,models,amp,official,kt,compile,data,tiling,onnx]
        [--write docs/benchmarks.md]

Sections (each a markdown table between its ``<!-- run_all:NAME -->``
markers of ``--write``'s file):

- machine: CPU/GPU, threads, torch, CPU capability, native bfloat16 flags;
- ceiling: a dense matrix product and a 3×3 convolution per dtype, the
  machine's measured GFLOP/s ceiling (``bench_ceiling.py``);
- models: the training step of every paper model in float32, AMP and
  channels_last, with FLOP/s against the ceiling (``bench_models.py``);
- amp: per config, at the config's own crop: float32 against what
  ``tools/train.py --amp`` chooses there (``bench_amp_choice.py``); the
  run exits with status 1 when a choice is slower than float32;
- official: the toolbox's networks beside the official code (given by
  path, never shipped) in the same run (``bench_official.py``);
- kt: Uni-Removal's KT step: naive, grouped float32 teachers, grouped
  low-precision channels_last teachers; a profile (``bench_kt_step.py``);
- compile: ``torch.compile`` time and step time (``bench_compile.py``);
- data: images/s of folder and LMDB loading with 0/2/4 workers against the
  step's consumption (``bench_data.py``);
- tiling: ``bench_tiling.py``, when it exists;
- onnx: every inference network exported and run in ONNX Runtime beside
  PyTorch float32 (``bench_onnx.py``; CPU only, skipped without
  onnxruntime and onnxscript).

Within a section, implementations and precisions run in turn, step by
step, after warm-up steps, and each time is a median, so that load from
other processes hits them alike. ``--quick`` shrinks crops, batches and
step counts so that the whole run fits in ~10 minutes on a 2-core CPU (the
tables say so). ``--device cuda`` synchronises around every timing, runs
float16 and bfloat16 AMP, and reports peak GPU memory.
"""
import argparse
import importlib
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))

import torch  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402

from _report import write_section  # noqa: E402
from _timing import machine_line, uptime_line  # noqa: E402

SECTIONS = ('ceiling', 'models', 'amp', 'official', 'kt', 'compile',
            'data', 'tiling', 'onnx')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument('--quick', action='store_true',
                        help='small crops/batches, few steps (~10 min on 2 '
                        'CPU cores)')
    parser.add_argument('--only', default=','.join(SECTIONS),
                        help='comma-separated sections to run')
    parser.add_argument('--models', nargs='*', default=None,
                        help='only models whose name contains one of these')
    parser.add_argument('--crop', type=int, default=None,
                        help='models section: this crop for every model')
    parser.add_argument('--batch', type=int, default=None,
                        help='models section: this batch for every model')
    parser.add_argument('--steps', type=int, default=None,
                        help='timed steps per variant (median)')
    parser.add_argument('--warmup', type=int, default=None)
    parser.add_argument(
        '--threads', type=int, default=None,
        help='intra-op threads (default: PyTorch\'s, or 1 when the load '
        'average already exceeds the cores: OpenMP threads that wait for '
        'busy cores make convolutions many times slower)')
    parser.add_argument('--official-mprnet', metavar='PATH',
                        help="swz30/MPRNet checkout (or its Deraining/"
                        "MPRNet.py)")
    parser.add_argument('--official-cut', metavar='PATH',
                        help='taesungp/contrastive-unpaired-translation or '
                        'junyanz/pytorch-CycleGAN-and-pix2pix checkout '
                        '(its models/networks.py)')
    parser.add_argument('--official-dcdgan', metavar='PATH',
                        help='cschenxiang/DCD-GAN checkout (code/models/'
                        'networks.py)')
    parser.add_argument('--tiling-args', default='',
                        help='extra options for benchmarks/bench_tiling.py '
                        '(e.g. "--seam-checkpoint PATH"; by default the '
                        'demo deraining MPRNet shipped in tests/data)')
    parser.add_argument('--data-images', type=int, default=None,
                        help='512² images generated for the data section')
    parser.add_argument('--write', metavar='MARKDOWN',
                        help='put each table between its run_all markers')
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device is available')
    # Checked now, not after an hour of timing.
    if args.write and not os.path.isfile(args.write):
        parser.error(f'--write: no file {args.write} (a markdown file with '
                     'the run_all markers, e.g. docs/benchmarks.md)')
    # A CPU's full run times paper-size steps of minutes each: 3 timed
    # steps after 1 warm-up keep it to about an hour on 2 cores.
    few = args.quick or args.device == 'cpu'
    if args.steps is None:
        args.steps = 3 if few else 5
    if args.warmup is None:
        args.warmup = 1 if few else 2
    args.only = [s.strip() for s in args.only.split(',') if s.strip()]
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        parser.error(f'--only: unknown sections {sorted(unknown)}')
    return args


def main(argv=None):
    args = parse_args(argv)
    # The models are built from configs/… paths in the repository: run
    # from its root, whatever the current folder; paths the user gave stay
    # where they were typed.
    for name in ('write', 'official_mprnet', 'official_cut',
                 'official_dcdgan'):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    os.chdir(os.path.dirname(HERE))
    threads_note = ''
    if args.threads is None and os.getloadavg()[0] >= (os.cpu_count() or 1):
        args.threads = 1
        threads_note = (' (1 thread: the load average exceeded the cores '
                        'at the start)')
    if args.threads:
        torch.set_num_threads(args.threads)
    MMLogger.get_instance('run_all', log_level='WARNING')
    if args.device == 'cuda':
        torch.backends.cudnn.benchmark = True
    start = time.time()
    header = (f'{machine_line(args.device)}{threads_note}. Run '
              f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}'
              f'{", --quick (small crops and batches)" if args.quick else ""}'
              f'; times are medians of {args.steps} steps after '
              f'{args.warmup} warm-up step(s), variants in turn step by '
              'step.')
    print(header, flush=True)
    outputs = {'machine': header}
    ceilings = {}

    def section(name, fn):
        if name not in args.only:
            return
        t0 = time.time()
        load_before = uptime_line().split('load average: ')[-1]
        print(f'\n## {name}  ({uptime_line()})', flush=True)
        try:
            table = fn()
        except Exception:  # one failing section must not lose the others
            traceback.print_exc()
            table = (f'*{name}: failed in this run:* '
                     f'`{traceback.format_exc().strip().splitlines()[-1]}`')
        table += (f'\n\n*{time.time() - t0:.0f} s, medians of {args.steps} '
                  f'steps after {args.warmup} warm-up, '
                  f'{torch.get_num_threads()} thread(s); load at the start:'
                  f' {load_before}; {uptime_line()} at the end.*')
        print(table, flush=True)
        outputs[name] = table

    def ceiling():
        import bench_ceiling
        table, best = bench_ceiling.run(args)
        ceilings.update(best)
        return table

    def models():
        import bench_models
        return bench_models.run(args, ceilings)

    slower_amp = []

    def amp():
        import bench_amp_choice
        table, slower = bench_amp_choice.run(
            bench_amp_choice.default_configs(args.quick), args.steps,
            args.warmup)
        slower_amp.extend(slower)
        return table

    def official():
        import bench_official
        return bench_official.run(args)

    def kt():
        import bench_kt_step
        return bench_kt_step.run_all_section(args)

    def compiled():
        import bench_compile
        return bench_compile.run(args)

    def data():
        import bench_data
        return bench_data.run(args)

    def tiling():
        script = os.path.join(HERE, 'bench_tiling.py')
        if not os.path.isfile(script):
            return '*benchmarks/bench_tiling.py is not in this checkout.*'
        # Its own process and command line (it starts child processes of
        # its own); its stdout is the section.
        import subprocess
        command = [sys.executable, script,
                   '--threads', str(torch.get_num_threads())]
        if args.quick:
            command.append('--quick')
        import shlex
        command += shlex.split(args.tiling_args)
        result = subprocess.run(command, capture_output=True, text=True,
                                cwd=os.path.dirname(HERE))
        if result.returncode != 0:
            raise RuntimeError('bench_tiling.py failed: ' +
                               result.stderr.strip()[-2000:])
        return result.stdout.strip()

    section('ceiling', ceiling)
    section('models', models)
    section('amp', amp)
    section('official', official)
    section('kt', kt)
    section('compile', compiled)
    section('data', data)

    def onnx():
        missing = [name for name in ('onnxruntime', 'onnxscript')
                   if importlib.util.find_spec(name) is None]
        if missing:
            return (f'*onnx: {", ".join(missing)} not installed (pip '
                    'install -e .[deploy]).*')
        import bench_onnx
        return bench_onnx.run(argparse.Namespace(
            size=64 if args.quick else 128,
            threads=torch.get_num_threads(), models=args.models,
            steps=args.steps, warmup=args.warmup))

    section('tiling', tiling)
    section('onnx', onnx)
    print(f'\nrun_all: {time.time() - start:.0f} s in all', flush=True)
    if args.write:
        if 'models' not in args.only:  # a partial run keeps the header
            outputs.pop('machine')
        for name, table in outputs.items():
            marker = f'run_all:{name}'
            try:
                write_section(args.write, marker, table)
            except ValueError as error:
                print(f'run_all: {error}; {name} not written', flush=True)
        print(f'run_all: tables written to {args.write}')
    if slower_amp:
        print('run_all: FAILED: --amp chooses a precision slower than '
              f'float32 for {", ".join(slower_amp)} on this machine '
              '(toolbox.app.amp_choice needs a new measurement)',
              flush=True)
        sys.exit(1)


if __name__ == '__main__':
    main()
