"""The toolbox in one command: train, test and show a restorer on the
embedded demo data.

    python tools/demo.py [--method NAME] [--work-dir work_dirs]
        [--device auto|cpu|cuda] [--list]

Builds data/demo when it is missing (tools/make_demo_data.py), trains the
method's demo configs with tools/train.py's code, tests them with
tools/test.py's, prints a table with the degraded inputs' row (the gain)
and writes a before/after grid (input | output | target) of a few images
of every test set to <work-dir>/demo/<method>/grid.png. Trainings run in
<work-dir>/<config name>, where tools/train.py puts them; one whose final
checkpoint is there already is reused (--retrain trains again). On a
busy machine (load average above the number of CPUs) PyTorch runs one
thread unless OMP_NUM_THREADS says otherwise. The dcdgan chain trains its
four models side by side on a CPU, one process per core with one thread
each (faster there: docs/methods/dcdgan.md); --jobs N runs N trainings
that need no other's checkpoint at once in any chain, --jobs 1 one after
the other.
"""
import argparse
import os.path as osp

from toolbox.app.errors import add_debug_argument, run_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args():
    from toolbox.app.demo_chains import DEFAULT_CHAIN, describe_chains
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter,
        epilog='methods (times measured on 2 CPU cores):\n' +
        describe_chains())
    parser.add_argument(
        '--method', default=DEFAULT_CHAIN,
        help=f'the demo to run (default: {DEFAULT_CHAIN}; see below)')
    parser.add_argument('--list', action='store_true',
                        help='list the methods with their times and exit')
    parser.add_argument(
        '--work-dir', default='work_dirs',
        help='root of the work dirs: trainings go to <work-dir>/<config '
        'name>, the table and grid to <work-dir>/demo/<method> (default: '
        'work_dirs)')
    parser.add_argument(
        '--device', default='auto',
        help="'auto' (a GPU when there is one), 'cpu', 'cuda' or 'cuda:N'")
    parser.add_argument('--retrain', action='store_true',
                        help='train again even where a final checkpoint '
                        'exists')
    parser.add_argument(
        '--jobs', type=int, default=None,
        help='trainings of the chain that need no other\'s checkpoint to run '
        'at once, each in its own process, the cores shared out as threads '
        '(default: one per CPU core for the chains whose trainings were '
        'measured faster so, dcdgan; one after the other for the others, '
        'on a GPU and on a busy machine). 1: one after the other in this '
        'process')
    parser.add_argument('--grid-images', type=int, default=3,
                        help='images of each test set in the grid')
    parser.add_argument(
        '--iters', type=int, default=None,
        help='train every step for this many iterations only (a smoke '
        'test: the schedules are not rescaled; use a separate --work-dir)')
    parser.add_argument('--verbose', action='store_true',
                        help="show MMEngine's log on the console (it goes "
                        'to <work-dir>/demo/<method>/console.log otherwise)')
    add_debug_argument(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    from toolbox.app.demo import (DemoSettings, run_chain, select_device,
                                  select_threads)
    from toolbox.app.demo_chains import describe_chains, get_chain
    if args.list:
        print('methods (times measured on 2 CPU cores):')
        print(describe_chains())
        return 0
    get_chain(args.method)  # an unknown name stops here, before any work
    from toolbox.user_errors import UserError
    if args.iters is not None and args.iters < 1:
        raise UserError('--iters must be at least 1')
    if args.jobs is not None and args.jobs < 1:
        raise UserError('--jobs must be at least 1')
    if args.grid_images < 1:
        raise UserError('--grid-images must be at least 1')
    device = select_device(args.device)
    threads = select_threads()
    if threads:
        print(f'tools/demo.py: {threads}')
    settings = DemoSettings(
        config_root=osp.join(REPO, 'configs'), work_root=args.work_dir,
        device=device, iters=args.iters, jobs=args.jobs,
        retrain=args.retrain, grid_images=args.grid_images,
        verbose=args.verbose)
    run_chain(args.method, settings)
    return 0


if __name__ == '__main__':
    run_tool(main, 'tools/demo.py')
