"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out r.json]``.

Prints one row per test set and one column per metric, and optionally writes
the results file that ``tools/make_table.py`` lays out as paper tables.
``python tools/test.py CONFIG --inputs [--out r.json]`` scores the degraded
inputs of the config's test sets instead, through the same pipelines and
metrics (a table's "degraded input" row, default name ``degraded input``);
``--targets`` scores the clean targets with the no-reference metrics only
(BRISQUE, NIQE, PIQE: what a perfect restoration scores, default name
``clean targets``), for the test sets that have targets.
``--save-dir DIR`` also writes every restored image, as PNG named after its
input (``DIR/<test set>/<name>.png`` when the config has several test sets).
"""
import argparse
import os.path as osp

from toolbox.app.errors import run_tool
from toolbox.user_errors import UserError
from toolbox.app.runner_setup import add_common_arguments, load_config
from toolbox.app.runs import evaluate_checkpoint
from toolbox.engine.checkpoint import add_non_strict_argument
from toolbox.evaluation.results import (name_single_set, results_record,
                                        write_results)
from toolbox.evaluation.tables import print_metrics_table


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', nargs='?',
                        help='checkpoint file (not with --inputs)')
    parser.add_argument(
        '--inputs', action='store_true',
        help='score the degraded inputs of the test sets, no model')
    parser.add_argument(
        '--targets', action='store_true',
        help='score the clean targets of the test sets with their '
        'no-reference metrics, no model')
    parser.add_argument('--out', help='write the metrics to this JSON file')
    parser.add_argument(
        '--save-dir', help='also write every restored image here, as PNG '
        'named after its input (a subfolder per test set when the config '
        'has several)')
    parser.add_argument(
        '--name', help='row name of this run in tables (default: config name)')
    parser.add_argument(
        '--test-set', help='name of the test set in the metric keys, for '
        'a config with one test set (its keys are PSNR, SSIM... otherwise; '
        'several sets are named by their datasets already)')
    add_non_strict_argument(parser)
    add_common_arguments(parser)
    return parser.parse_args()


def input_metrics(cfg, targets: bool = False) -> dict:
    """The degraded inputs' metrics (the clean targets' with ``targets``),
    keyed as the test loop keys a model's (one set: no set name in the
    keys)."""
    from toolbox.app.input_scores import score_inputs, score_targets
    from toolbox.evaluation.results import plain_number
    scores = score_targets(cfg) if targets else score_inputs(cfg)
    if not scores:
        raise UserError(f'--targets: no test set of {cfg.filename} has both '
                        'targets and a no-reference metric (BRISQUE, NIQE, '
                        'PIQE)')
    if len(scores) == 1:
        return {metric: plain_number(value)
                for metric, value in next(iter(scores.values())).items()}
    return {f'{test_set}/{metric}': plain_number(value)
            for test_set, values in scores.items()
            for metric, value in values.items()}


def main():
    args = parse_args()
    no_model = args.inputs or args.targets
    if [bool(args.checkpoint), args.inputs, args.targets].count(True) != 1:
        raise UserError('give a checkpoint, or --inputs to score the '
                        'degraded inputs, or --targets to score the clean '
                        'targets (one of the three)')
    if no_model and args.save_dir:
        raise UserError('--save-dir writes restored images: it needs a '
                        'checkpoint, not --inputs or --targets')
    cfg = load_config(args.config, args)
    if no_model:
        metrics = input_metrics(cfg, targets=args.targets)
    else:
        hooks = []
        if args.save_dir:
            from toolbox.engine.image_writer import SaveRestoredImagesHook
            hooks.append(SaveRestoredImagesHook(args.save_dir))
        metrics = evaluate_checkpoint(cfg, args.checkpoint, 'tools/test.py',
                                      strict=not args.non_strict,
                                      hooks=hooks)
    if metrics is None:  # not rank 0
        return
    from toolbox.app.input_scores import metric_conventions
    conventions = metric_conventions(cfg)
    if args.test_set:
        try:
            metrics = name_single_set(metrics, args.test_set)
        except ValueError as error:
            raise UserError(f'--test-set {args.test_set}: {error}') from None
        conventions = name_single_set(conventions, args.test_set)
    name = args.name or ('degraded input' if args.inputs else
                         'clean targets' if args.targets else
                         osp.splitext(osp.basename(args.config))[0])
    print_metrics_table(metrics, title=name)
    if args.out:
        write_results(
            results_record(name, args.config, args.checkpoint, metrics,
                           conventions),
            args.out)
        print(f'results written to {args.out}')


if __name__ == '__main__':
    run_tool(main, 'tools/test.py')
