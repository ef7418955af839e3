"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out r.json]``.

Prints one row per test set and one column per metric, and optionally writes
the results file that ``tools/make_table.py`` lays out as paper tables.
"""
import argparse
import os.path as osp

from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from toolbox.apis import load_model_weights

from toolbox.engine.distributed import finish_distributed
from toolbox.engine.errors import run_tool
from toolbox.engine.input_check import exit_if_inputs_missing
from toolbox.engine.runner_setup import (add_common_arguments,
                                         compile_networks, load_config,
                                         take_compile_options)
from toolbox.evaluation.results import results_record, write_results
from toolbox.evaluation.tables import print_metrics_table


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument(
        '--name', help='row name of this run in tables (default: config name)')
    parser.add_argument(
        '--non-strict', action='store_true',
        help='load the tensors of the checkpoint that fit and keep the '
        'others as initialised (a warning lists what did not fit); by '
        'default a checkpoint that does not fit the model is an error')
    add_common_arguments(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config, args)
    exit_if_inputs_missing(cfg, 'tools/test.py', stage='test',
                           checkpoint=args.checkpoint)
    # Loaded here, strictly, not through MMEngine's load_from (non-strict:
    # a checkpoint of another model would be scored with random weights).
    cfg.load_from = None
    cfg.resume = False
    compile_options = take_compile_options(cfg)
    runner = Runner.from_cfg(cfg)
    model = runner.model.module if is_model_wrapper(runner.model) else \
        runner.model
    load_model_weights(model, args.checkpoint, strict=not args.non_strict,
                       logger=runner.logger)
    compile_networks(model, compile_options, runner.logger)
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
    run_tool(main, 'tools/test.py')
