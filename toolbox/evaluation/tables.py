"""Paper-style tables from ``tools/test.py`` results files.

Rows are runs (methods, ablations) named by each file's ``name``; columns
are test set × metric, each headed with the metric's direction (↑ higher is
better, ↓ lower is better). Formats: Markdown, CSV and LaTeX.
"""
import csv
import io
import json
import math
from typing import Dict, List, Optional, Sequence

from toolbox.engine.results import split_metric_key

#: Whether a higher value is better, per metric name.
HIGHER_IS_BETTER = {
    'PSNR': True, 'SSIM': True, 'BRISQUE': False, 'NIQE': False,
    'PIQE': False
}
FORMATS = ('md', 'csv', 'latex')
#: Column labels that say which implementation produced a score: the
#: toolbox's BRISQUE/NIQE are LIVE's releases, not MATLAB's built-in
#: brisque()/niqe() (docs/metrics.md), and must not be mixed with those.
LABELS = {'BRISQUE': 'BRISQUE (LIVE)', 'NIQE': 'NIQE (LIVE)'}


def load_results(paths: Sequence[str]) -> List[dict]:
    """Read results files; a missing or malformed file is named."""
    records = []
    for path in paths:
        try:
            with open(path) as f:
                record = json.load(f)
        except FileNotFoundError:
            raise FileNotFoundError(f'Results file not found: {path}')
        except json.JSONDecodeError as error:
            raise ValueError(f'{path} is not a results JSON file: {error}')
        if 'metrics' not in record:
            raise KeyError(f'{path} has no "metrics" (write it with '
                           'tools/test.py --out)')
        record.setdefault('name', path)
        records.append(record)
    return records


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


def _cell(value) -> str:
    if value is None:
        return '–'
    if isinstance(value, float) and math.isinf(value):
        return 'inf'
    return f'{value:.4f}' if abs(value) < 10 else f'{value:.2f}'


def render_table(records: Sequence[dict], fmt: str = 'md',
                 metrics: Optional[Sequence[str]] = None) -> str:
    """Render runs as a table in ``fmt`` (``'md'``, ``'csv'``, ``'latex'``).

    ``metrics`` keeps only those metric names (case-insensitive); a run
    without a column's value shows ``–``.
    """
    if fmt not in FORMATS:
        raise ValueError(f'format must be one of {FORMATS}, got {fmt!r}')
    columns = table_columns(records, metrics)
    header = ['method'] + [
        (f'{test_set} ' if test_set else '') + LABELS.get(metric, metric) +
        _direction(metric) for test_set, metric in columns
    ]
    rows = []
    for record in records:
        values: Dict = record['metrics']
        rows.append([record['name']] + [
            _cell(values.get(f'{s}/{m}' if s else m)) for s, m in columns
        ])
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
    latex_header = [h.replace('↑', r'$\uparrow$').replace('↓',
                                                          r'$\downarrow$')
                    for h in header]
    escape = str.maketrans({'_': r'\_', '%': r'\%', '&': r'\&'})
    lines = [r'\begin{tabular}{l' + 'c' * len(columns) + '}', r'\toprule',
             ' & '.join(h.translate(escape) for h in latex_header) + r' \\',
             r'\midrule']
    lines += [' & '.join(c.translate(escape) for c in row) + r' \\'
              for row in rows]
    lines += [r'\bottomrule', r'\end{tabular}']
    return '\n'.join(lines) + '\n'
