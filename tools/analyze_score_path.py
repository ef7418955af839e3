"""Does a lower no-reference score mean a better restoration on this test
set? Scores a model's outputs blended step by step into their hidden
clean targets.

    python tools/analyze_score_path.py CONFIG CHECKPOINT [--steps 5]
        [--non-strict] [--device cpu] [--out table.md]

For every test set of CONFIG with targets and a no-reference metric
(BRISQUE, NIQE, PIQE), prints one row per blend (1 − α)·output + α·target,
from the model's output (α = 0: what tools/test.py scores) to the targets
(α = 1: tools/test.py --targets). Where a score rises along the path, the
model already scores better than the clean images by moving away from
them, and "lower is better" cannot judge a change of it
(docs/methods/uniremoval.md, demo of stage 2).
"""
import argparse

from toolbox.app.errors import run_tool
from toolbox.app.runner_setup import add_common_arguments, load_config
from toolbox.engine.checkpoint import add_non_strict_argument
from toolbox.user_errors import UserError


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('config', help='config file (its test sets)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--steps', type=int, default=5,
                        help='blends from the output to the target, both '
                        'included (default: 5: α = 0, 0.25, ..., 1)')
    parser.add_argument('--device', default='cpu',
                        help='device of the model (default: cpu)')
    add_non_strict_argument(parser)  # e.g. a KT student under a DA config
    parser.add_argument('--out', help='also write the table (Markdown) here')
    add_common_arguments(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    if args.steps < 2:
        raise UserError(f'--steps {args.steps}: the path needs at least 2 '
                        '(the output and the target)')
    from toolbox.apis import init_model
    from toolbox.app.input_check import exit_if_inputs_missing
    from toolbox.app.score_path import blend_steps, path_records, score_path
    from toolbox.evaluation.tables import render_table
    from toolbox.fileio import atomic_write_text

    cfg = load_config(args.config, args)
    # A missing test folder or checkpoint: one line naming it.
    exit_if_inputs_missing(cfg, 'tools/analyze_score_path.py', stage='test',
                           checkpoint=args.checkpoint)
    model = init_model(cfg, args.checkpoint, args.device,
                       strict=not args.non_strict)
    scores = score_path(cfg, model, blend_steps(args.steps))
    if not any(scores.values()):
        raise UserError(f'no test set of {args.config} has both targets and '
                        'a no-reference metric (BRISQUE, NIQE, PIQE)')
    table = render_table(path_records(scores), 'md')
    print(table)
    if args.out:
        atomic_write_text(table, args.out)
        print(f'table written to {args.out}')


if __name__ == '__main__':
    run_tool(main, 'tools/analyze_score_path.py')
