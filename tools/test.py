"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out r.json]``.

Prints one row per test set and one column per metric, and optionally writes
the results file that ``tools/make_table.py`` lays out as paper tables.
"""
import argparse
import os.path as osp

from mmengine.runner import Runner

from toolbox.engine.distributed import finish_distributed
from toolbox.engine.input_check import exit_if_inputs_missing
from toolbox.engine.runner_setup import add_common_arguments, load_config
from toolbox.evaluation.results import results_record, write_results
from toolbox.evaluation.tables import print_metrics_table


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument(
        '--name', help='row name of this run in tables (default: config name)')
    add_common_arguments(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config, args)
    exit_if_inputs_missing(cfg, 'tools/test.py', stage='test',
                           checkpoint=args.checkpoint)
    cfg.load_from = args.checkpoint
    cfg.resume = False
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    rank = runner.rank
    del runner  # frees the DDP wrapper before the process group goes
    finish_distributed()
    if rank != 0:
        return
    name = args.name or osp.splitext(osp.basename(args.config))[0]
    print_metrics_table(metrics, title=name)
    if args.out:
        write_results(
            results_record(name, args.config, args.checkpoint, metrics),
            args.out)
        print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
