"""Lay results files out as a paper table.

    python tools/make_table.py r1.json r2.json ... [--format md|csv|latex]
        [--metrics PSNR SSIM] [--out table.md]
    python tools/make_table.py --spec configs/uniremoval/tables.py --table IV
        [--work-dir work_dirs] [--compare] [--format ...] [--out ...]
    python tools/make_table.py --spec configs/uniremoval/tables.py --list

Each file comes from ``tools/test.py CONFIG CKPT --out r.json [--name ROW]``;
rows are runs, columns test set × metric with the metric's direction.
Files with the same name are runs of one row (seeds: ``--name`` alike):
the row shows each metric's mean ± standard deviation over them.

With ``--spec``, the table is one of a paper's, in the paper's layout: its
rows and columns in the paper's order, filled from the results files the
spec's runs write under ``--work-dir``; a row not run yet shows ``—`` and
the commands that would fill it are listed under the table. ``--compare``
adds the paper's values and our difference under each row
(toolbox/evaluation/table_spec.py describes the spec format).
"""
import argparse

from toolbox.app.errors import add_debug_argument, run_tool
from toolbox.user_errors import UserError
from toolbox.evaluation.results import (MixedConventions, check_conventions,
                                        load_results, merge_runs)
from toolbox.evaluation.tables import FORMATS, render_table
from toolbox.fileio import atomic_write_bytes


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('results', nargs='*', help='results JSON files')
    parser.add_argument('--format', choices=FORMATS, default='md')
    parser.add_argument('--metrics', nargs='+', help='metrics to show')
    parser.add_argument('--out', help='also write the table here')
    parser.add_argument('--spec', help="a paper's table spec "
                        '(configs/<method>/tables.py)')
    parser.add_argument('--table', help='the table of the spec to make')
    parser.add_argument('--list', action='store_true',
                        help="list the spec's tables and exit")
    parser.add_argument('--work-dir', default='work_dirs',
                        help='where the spec\'s results files are '
                        '(default: work_dirs)')
    parser.add_argument('--compare', action='store_true',
                        help="show the paper's values and the difference")
    add_debug_argument(parser)
    return parser.parse_args()


def spec_table(args) -> str:
    from toolbox.evaluation.table_spec import (SpecError, fill_rows,
                                               get_table, load_spec,
                                               missing_commands,
                                               render_spec_table)
    if args.results or args.metrics:
        raise UserError('--spec lays out the spec\'s own runs: give no '
                        'results files or --metrics with it')
    try:
        tables = load_spec(args.spec)
        if args.list:
            return ''.join(f'{name}: {table.get("title", "")}\n'
                           for name, table in tables.items())
        if not args.table:
            raise UserError(f'--spec needs --table (one of: '
                            f'{", ".join(tables)})')
        table = get_table(tables, args.table, args.spec)
        rows = fill_rows(table, args.work_dir)
    except (SpecError, MixedConventions) as error:
        raise UserError(str(error)) from None
    text = render_spec_table(table, rows, args.format, args.compare)
    if table.get('title') and args.format == 'md':
        text = f'{table["title"]}\n\n{text}'
    missing = missing_commands(rows)
    if missing:
        text += ('\nNot run yet (— above); the commands that write their '
                 'results:\n' + ''.join(f'  {line}\n' for line in missing))
    return text


def main():
    args = parse_args()
    if args.spec:
        table = spec_table(args)
    elif args.table or args.list or args.compare:
        raise UserError('--table, --list and --compare need --spec')
    elif not args.results:
        raise UserError('give results files, or --spec and --table')
    else:
        records = load_results(args.results)
        try:
            check_conventions(records, args.results)
        except MixedConventions as error:
            raise UserError(str(error)) from None
        table = render_table(merge_runs(records), args.format, args.metrics)
    print(table, end='')
    if args.out:
        atomic_write_bytes(table.encode(), args.out)


if __name__ == '__main__':
    run_tool(main, 'tools/make_table.py')
