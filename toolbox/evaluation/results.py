"""Results files of ``tools/test.py``: one run's metrics, as JSON.

A results file is ``{"name": ..., "config": ..., "checkpoint": ...,
"metrics": {"<test set>/<METRIC>": value}, "conventions": {"<test
set>/<METRIC>": "PSNR Y crop4", ...}}``
(a key without ``/`` belongs to a single, unnamed test set; ``conventions``
says how each metric was computed, written by ``tools/test.py``).
Several files with the same ``name`` are runs of one row (seeds):
:func:`merge_runs` makes them one row with each metric's mean and spread.
:mod:`toolbox.evaluation.tables` lays them out: one run on the console,
several runs as a paper table (``tools/make_table.py``).
"""
import json
import math
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

from toolbox.fileio import atomic_write_text


def split_metric_key(key: str):
    """``'rain/PSNR'`` → ``('rain', 'PSNR')``; ``'PSNR'`` →
    ``('', 'PSNR')``."""
    test_set, _, metric = key.rpartition('/')
    return test_set, metric


def plain_number(value):
    """JSON-friendly numbers (numpy scalars and tensors become floats)."""
    if hasattr(value, 'item'):
        value = value.item()
    return value


def name_single_set(metrics: Dict[str, float],
                    set_name: str) -> Dict[str, float]:
    """The metrics of a run on one test set with its keys prefixed
    ``'<set_name>/'`` (MMEngine leaves one set's name out of the keys; a
    table with several configs needs it). Keys that already name a set
    are a ``ValueError``: the run had several sets, named already."""
    named = [k for k in metrics if '/' in k]
    if named:
        raise ValueError(
            f'the test sets are named already ({", ".join(named[:3])}): a '
            'set name applies to a config with one test set')
    return {f'{set_name}/{k}': v for k, v in metrics.items()}


def results_record(name: str, config: str, checkpoint: str,
                   metrics: Dict[str, float],
                   conventions: Optional[Dict[str, str]] = None) -> dict:
    """The dictionary written to a results file; ``conventions`` (metric
    key → how it was computed, e.g. ``'PSNR Y crop4'``) lets a table refuse
    to mix two conventions in one column."""
    record = dict(
        name=name,
        config=config,
        checkpoint=checkpoint,
        metrics={k: plain_number(v) for k, v in metrics.items()})
    if conventions:
        record['conventions'] = {k: v for k, v in conventions.items()
                                 if k in record['metrics']}
    return record


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


class MixedConventions(ValueError):
    """Two results files put values of different conventions in one
    column (e.g. PSNR on RGB and on Y)."""


def check_convention(owners: Dict[str, tuple], record: dict,
                     path: str) -> None:
    """Record the conventions of ``record`` (read from ``path``) in
    ``owners`` (column key → (convention, file)); a column given another
    convention before is a :class:`MixedConventions` naming both files."""
    for key, convention in (record.get('conventions') or {}).items():
        owner = owners.setdefault(key, (convention, path))
        if owner[0] != convention:
            raise MixedConventions(
                f'column {key}: {owner[1]} computes it as {owner[0]!r}, '
                f'{path} as {convention!r}; rescore one of them with the '
                'other convention')


def check_conventions(records: Sequence[dict],
                      paths: Sequence[str]) -> None:
    """One convention per column over the results files ``paths``."""
    owners: Dict[str, tuple] = {}
    for record, path in zip(records, paths):
        check_convention(owners, record, path)


def merge_runs(records: Sequence[dict]) -> List[dict]:
    """One record per ``name``, in first-seen order: a name given once
    stays as it is; runs of one name (e.g. three seeds) become one record
    whose ``metrics`` are the means over the runs that have the metric,
    with ``spread`` the sample standard deviation of each and ``runs`` the
    number of records merged. A spread over one value is 0.
    """
    groups: Dict[str, List[dict]] = OrderedDict()
    for record in records:
        groups.setdefault(record['name'], []).append(record)
    merged = []
    for name, group in groups.items():
        if len(group) == 1:
            merged.append(group[0])
            continue
        values: Dict[str, List[float]] = OrderedDict()
        for record in group:
            for key, value in record['metrics'].items():
                values.setdefault(key, []).append(float(value))
        means, spreads = OrderedDict(), OrderedDict()
        for key, column in values.items():
            mean = sum(column) / len(column)
            means[key] = mean
            spreads[key] = math.sqrt(
                sum((v - mean)**2 for v in column) /
                (len(column) - 1)) if len(column) > 1 else 0.0
        merged.append(dict(
            name=name, config=[r.get('config') for r in group],
            checkpoint=[r.get('checkpoint') for r in group],
            metrics=means, spread=spreads, runs=len(group)))
    return merged


__all__ = ['split_metric_key', 'plain_number', 'name_single_set',
           'results_record',
           'write_results', 'load_results', 'merge_runs', 'MixedConventions',
           'check_convention', 'check_conventions']
