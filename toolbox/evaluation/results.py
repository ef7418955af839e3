"""Results files of ``tools/test.py``: one run's metrics, as JSON.

A results file is
``{"name": ..., "config": ..., "checkpoint": ..., "metrics": {"<test set>/<METRIC>": value}}``
(a key without ``/`` belongs to a single, unnamed test set).
:mod:`toolbox.evaluation.tables` lays them out: one run on the console,
several runs as a paper table (``tools/make_table.py``).
"""
import json
from typing import Dict, List, Sequence

from toolbox.fileio import atomic_write_text


def split_metric_key(key: str):
    """``'rain/PSNR'`` → ``('rain', 'PSNR')``; ``'PSNR'`` → ``('', 'PSNR')``."""
    test_set, _, metric = key.rpartition('/')
    return test_set, metric


def plain_number(value):
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
        metrics={k: plain_number(v) for k, v in metrics.items()})


def write_results(record: dict, path: str) -> None:
    """Write a results file atomically."""
    atomic_write_text(json.dumps(record, indent=2, allow_nan=True) + '\n',
                      path)


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


__all__ = ['split_metric_key', 'plain_number', 'results_record',
           'write_results', 'load_results']
