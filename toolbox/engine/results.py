"""Results files of ``tools/test.py`` and their console table.

A results file is JSON:
``{"name": ..., "config": ..., "checkpoint": ..., "metrics": {"<test set>/<METRIC>": value}}``
(a key without ``/`` belongs to a single, unnamed test set). ``tools/make_table.py``
lays several of them out as a paper table.
"""
import json
import math
from collections import OrderedDict
from typing import Dict

from toolbox.engine.checkpoint import atomic_write_bytes


def split_metric_key(key: str):
    """``'rain/PSNR'`` → ``('rain', 'PSNR')``; ``'PSNR'`` → ``('', 'PSNR')``."""
    test_set, _, metric = key.rpartition('/')
    return test_set, metric


def _plain(value):
    """JSON-friendly numbers (numpy scalars and tensors become floats)."""
    if hasattr(value, 'item'):
        value = value.item()
    return value


def results_record(name: str, config: str, checkpoint: str,
                   metrics: Dict[str, float]) -> dict:
    """The dictionary written to a results file."""
    return dict(
        name=name,
        config=config,
        checkpoint=checkpoint,
        metrics={k: _plain(v) for k, v in metrics.items()})


def write_results(record: dict, path: str) -> None:
    """Write a results file atomically."""
    atomic_write_bytes(
        (json.dumps(record, indent=2, allow_nan=True) + '\n').encode(), path)


def _format(value) -> str:
    value = _plain(value)
    if isinstance(value, float):
        return 'inf' if math.isinf(value) else f'{value:.4f}'
    return str(value)


def metrics_table(metrics: Dict[str, float]) -> str:
    """Rows = test sets, columns = metrics, as aligned plain text."""
    rows: Dict[str, Dict[str, str]] = OrderedDict()
    columns = []
    for key, value in metrics.items():
        test_set, metric = split_metric_key(key)
        rows.setdefault(test_set or '-', {})[metric] = _format(value)
        if metric not in columns:
            columns.append(metric)
    header = ['test set'] + columns
    body = [[name] + [cells.get(c, '') for c in columns]
            for name, cells in rows.items()]
    widths = [max(len(r[i]) for r in [header] + body)
              for i in range(len(header))]
    lines = ['  '.join(c.ljust(w) for c, w in zip(r, widths))
             for r in [header] + body]
    lines.insert(1, '  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def print_metrics_table(metrics: Dict[str, float], title: str = '') -> None:
    """Print :func:`metrics_table` under a title."""
    if title:
        print(f'\n{title}')
    print(metrics_table(metrics))
