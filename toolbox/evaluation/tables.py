"""Tables of metrics: one run on the console, several runs as a paper table.

Every table goes through one renderer, :func:`format_table` (aligned plain
text, Markdown, CSV or LaTeX). :func:`metrics_table` lays one run out with
rows = test sets and columns = metrics (what ``tools/test.py`` prints);
:func:`render_table` lays results files (:mod:`toolbox.evaluation.results`)
out with rows = runs (methods, ablations) named by each file's ``name`` and
columns = test set × metric, each headed with the metric's direction (↑
higher is better, ↓ lower is better), as ``tools/make_table.py`` writes.
A row merged from several runs (:func:`~toolbox.evaluation.results.
merge_runs`) shows each value as ``mean ± standard deviation`` and its
number of runs after its name.
"""
import csv
import io
import math
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

from toolbox.evaluation.results import plain_number, split_metric_key

#: Whether a higher value is better, per metric name (upper case).
HIGHER_IS_BETTER = {
    'PSNR': True, 'SSIM': True, 'BRISQUE': False, 'NIQE': False,
    'PIQE': False, 'DRGB': False
}
#: Formats of :func:`render_table` (and :func:`format_table`, plus 'text').
FORMATS = ('md', 'csv', 'latex')
#: Column labels that say which implementation produced a score: the
#: toolbox's BRISQUE/NIQE are LIVE's releases, not MATLAB's built-in
#: brisque()/niqe() (docs/metrics.md), and must not be mixed with those.
LABELS = {'BRISQUE': 'BRISQUE (LIVE)', 'NIQE': 'NIQE (LIVE)'}


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]],
                 fmt: str = 'md') -> str:
    """Lay out a header and rows of strings as ``fmt``.

    ``'text'``: columns padded to equal width, a dashed rule under the
    header (no trailing newline); ``'md'``: a Markdown table; ``'csv'``;
    ``'latex'``: a booktabs ``tabular`` (first column left-aligned, ``_ % &``
    escaped, ↑/↓ as math arrows).
    """
    header = list(header)
    rows = [list(row) for row in rows]
    if fmt == 'text':
        widths = [max(len(r[i]) for r in [header] + rows)
                  for i in range(len(header))]
        lines = ['  '.join(c.ljust(w) for c, w in zip(r, widths))
                 for r in [header] + rows]
        lines.insert(1, '  '.join('-' * w for w in widths))
        return '\n'.join(lines)
    if fmt == 'csv':
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator='\n')
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue()
    if fmt == 'md':
        lines = ['| ' + ' | '.join(header) + ' |',
                 '|' + '|'.join([' --- '] * len(header)) + '|']
        lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
        return '\n'.join(lines) + '\n'
    if fmt == 'latex':
        escape = str.maketrans({'_': r'\_', '%': r'\%', '&': r'\&'})

        def cell(text: str) -> str:
            return text.translate(escape).replace(
                '↑', r'$\uparrow$').replace('↓', r'$\downarrow$')

        lines = [r'\begin{tabular}{l' + 'c' * (len(header) - 1) + '}',
                 r'\toprule', ' & '.join(cell(h) for h in header) + r' \\',
                 r'\midrule']
        lines += [' & '.join(cell(c) for c in row) + r' \\' for row in rows]
        lines += [r'\bottomrule', r'\end{tabular}']
        return '\n'.join(lines) + '\n'
    raise ValueError(f"format must be one of {FORMATS + ('text', )}, got "
                     f'{fmt!r}')


# ------------------------------------------------------------- one run


def _console_cell(value) -> str:
    value = plain_number(value)
    if isinstance(value, float):
        return 'inf' if math.isinf(value) else f'{value:.4f}'
    return str(value)


def metrics_table(metrics: Dict[str, float]) -> str:
    """Rows = test sets, columns = metrics, as aligned plain text."""
    rows: Dict[str, Dict[str, str]] = OrderedDict()
    columns = []
    for key, value in metrics.items():
        test_set, metric = split_metric_key(key)
        rows.setdefault(test_set or '-', {})[metric] = _console_cell(value)
        if metric not in columns:
            columns.append(metric)
    body = [[name] + [cells.get(c, '') for c in columns]
            for name, cells in rows.items()]
    return format_table(['test set'] + columns, body, 'text')


def print_metrics_table(metrics: Dict[str, float], title: str = '') -> None:
    """Print :func:`metrics_table` under a title."""
    if title:
        print(f'\n{title}')
    print(metrics_table(metrics))


# ------------------------------------------------------- several runs


def _direction(metric: str) -> str:
    higher = HIGHER_IS_BETTER.get(metric.split(' ')[0].upper())
    return '' if higher is None else (' ↑' if higher else ' ↓')


def table_columns(records: Sequence[dict],
                  metrics: Optional[Sequence[str]] = None) -> List[tuple]:
    """``(test set, metric)`` columns in first-seen order."""
    columns = []
    for record in records:
        for key in record['metrics']:
            column = split_metric_key(key)
            if metrics and column[1].upper() not in {
                    m.upper() for m in metrics}:
                continue
            if column not in columns:
                columns.append(column)
    return columns


def _number(value: float, digits: int) -> str:
    if math.isinf(value):
        return 'inf'
    return f'{value:.{digits}f}'


def column_digits(values: Sequence) -> int:
    """4 decimals for a column of ratios (SSIM: every value below 10),
    2 otherwise, so that one column is printed alike (a dRGB of 9.32 next
    to 10.96, not 9.3217)."""
    numbers = [abs(v) for v in values if v is not None and
               not math.isinf(v)]
    return 4 if numbers and max(numbers) < 10 else 2


def _paper_cell(value, spread=None, digits: int = 2) -> str:
    if value is None:
        return '–'
    if spread is None:
        return _number(value, digits)
    return f'{_number(value, digits)} ± {_number(spread, digits)}'


def render_table(records: Sequence[dict], fmt: str = 'md',
                 metrics: Optional[Sequence[str]] = None) -> str:
    """Render runs as a table in ``fmt`` (``'md'``, ``'csv'``, ``'latex'``).

    ``records`` are results files' contents
    (:func:`toolbox.evaluation.results.load_results`), rows merged from
    several runs included (``spread``, ``runs``). ``metrics`` keeps
    only those metric names (case-insensitive); a run without a column's
    value shows ``–``.
    """
    if fmt not in FORMATS:
        raise ValueError(f'format must be one of {FORMATS}, got {fmt!r}')
    columns = table_columns(records, metrics)
    header = ['method'] + [
        (f'{test_set} ' if test_set else '') + LABELS.get(metric, metric) +
        _direction(metric) for test_set, metric in columns
    ]
    keys = [f'{s}/{m}' if s else m for s, m in columns]
    digits = {key: column_digits([r['metrics'].get(key) for r in records])
              for key in keys}
    rows = []
    for record in records:
        values: Dict = record['metrics']
        spread: Dict = record.get('spread') or {}
        name = record['name']
        if record.get('runs', 1) > 1:
            name = f"{name} ({record['runs']} runs)"
        rows.append([name] + [
            _paper_cell(values.get(key), spread.get(key), digits[key])
            for key in keys])
    return format_table(header, rows, fmt)


__all__ = ['FORMATS', 'HIGHER_IS_BETTER', 'LABELS', 'column_digits',
           'format_table',
           'metrics_table', 'print_metrics_table', 'render_table',
           'table_columns']
