"""Lay results files out as a paper table.

    python tools/make_table.py r1.json r2.json ... [--format md|csv|latex]
        [--metrics PSNR SSIM] [--out table.md]

Each file comes from ``tools/test.py CONFIG CKPT --out r.json [--name ROW]``;
rows are runs, columns test set × metric with the metric's direction.
Files with the same name are runs of one row (seeds: ``--name`` alike):
the row shows each metric's mean ± standard deviation over them.
"""
import argparse

from toolbox.engine.errors import add_debug_argument, run_tool
from toolbox.evaluation.results import load_results, merge_runs
from toolbox.evaluation.tables import FORMATS, render_table
from toolbox.fileio import atomic_write_bytes


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('results', nargs='+', help='results JSON files')
    parser.add_argument('--format', choices=FORMATS, default='md')
    parser.add_argument('--metrics', nargs='+', help='metrics to show')
    parser.add_argument('--out', help='also write the table here')
    add_debug_argument(parser)
    args = parser.parse_args()
    records = merge_runs(load_results(args.results))
    table = render_table(records, args.format, args.metrics)
    print(table, end='')
    if args.out:
        atomic_write_bytes(table.encode(), args.out)


if __name__ == '__main__':
    run_tool(main, 'tools/make_table.py')
