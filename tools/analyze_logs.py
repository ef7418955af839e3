"""Plot loss and metric curves of one or several training runs.

    python tools/analyze_logs.py WORK_DIR [WORK_DIR ...]
        [--keys loss PSNR ...] [--out curves.png] [--smooth 0.6]
        [--newest-only] [--title TEXT]

Reads MMEngine's scalar logs, ``<work_dir>/<timestamp>/vis_data/
scalars.json`` (every start of the run, a resumed run's included, joined in
time order), and draws one subplot per key with one line per work dir (the
legend names it), the x axis being the training iteration. ``--keys``
defaults to ``loss`` and every validation metric; a key such as ``PSNR``
also takes ``<set>/PSNR`` of runs validating several sets. ``--smooth``
(0 to <1, as TensorBoard's slider) smooths the training curves. A work dir
may also be given as one timestamp folder or a ``scalars.json`` file.
Needs matplotlib (``pip install matplotlib`` or ``pip install -e
'.[vis]'``). See docs/visualization.md.
"""
import argparse

from toolbox.app.errors import add_debug_argument, run_tool


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('work_dirs', nargs='+', metavar='WORK_DIR',
                        help='work dirs of tools/train.py to compare')
    parser.add_argument('--keys', nargs='+', default=None,
                        help='what to plot (default: loss and every '
                        'validation metric)')
    parser.add_argument('--out', default='curves.png',
                        help='the PNG to write (default: curves.png)')
    parser.add_argument('--smooth', type=float, default=0.0,
                        help='smoothing of the training curves, 0 (none) '
                        'to <1')
    parser.add_argument('--newest-only', action='store_true',
                        help='read only the newest start of each run, not '
                        'the logs of the starts it resumed')
    parser.add_argument('--title', default='', help='title of the figure')
    add_debug_argument(parser)
    args = parser.parse_args()

    from toolbox.engine.training_logs import plot_curves, read_run
    names = [None] * len(args.work_dirs)
    basenames = [d.rstrip('/').split('/')[-1] for d in args.work_dirs]
    if len(set(basenames)) < len(basenames):
        names = [d.rstrip('/') for d in args.work_dirs]  # tell them apart
    runs = [read_run(work_dir, args.newest_only, name)
            for work_dir, name in zip(args.work_dirs, names)]
    keys = plot_curves(runs, args.out, args.keys, args.smooth, args.title)
    for run in runs:
        print(f'{run.name}: {len(run.files)} log(s): {", ".join(run.files)}')
    print(f'{", ".join(keys)} of {len(runs)} run(s) plotted to {args.out}')
    return 0


if __name__ == '__main__':
    run_tool(main, 'tools/analyze_logs.py')
