"""Paper tables from declarative specs: the paper's rows and columns, the
runs that fill them, and the paper's own values.

A spec file is Python, loaded like a config, holding ``tables``::

    tables = dict(
        IV=dict(
            title='Table IV: knowledge transfer ablation',
            columns=[('sots/PSNR', 'SOTS PSNR'), ('sots/SSIM', 'SOTS SSIM')],
            digits=3,                      # optional: the paper's rounding
            rows=[
                dict(label='BKT',
                     runs=[dict(config='configs/uniremoval/kt_mprnet_bkt.py',
                                checkpoint='kt_mprnet_bkt/epoch_400.pth')],
                     paper=[28.784, 0.964]),
                dict(label='Original degraded',
                     runs=[dict(folder='data/rtts', metrics=['brisque'],
                                test_set='rtts')],
                     paper=[37.011]),
            ]),
    )

A row is filled by its **runs**, each a results file under the work
folder:

* ``config`` + ``checkpoint`` (relative to the work folder; a glob such
  as ``da_seed*/iter_100.pth`` makes one run per match, e.g. seeds):
  ``tools/test.py`` writes ``<checkpoint's folder>/results_<config
  name>.json`` (``..._<test_set>.json`` with ``test_set``, which names a
  one-set config's set in the keys; ``non_strict=True``: a checkpoint of
  another model whose network fits, e.g. a KT student tested with a DA config);
* ``config`` + ``inputs=True``: the degraded inputs of the config's test
  sets, scored by ``tools/test.py CONFIG --inputs`` through the config's
  own pipelines and metrics into ``inputs/<config name>.json``
  (``..._<test_set>.json`` with ``test_set``, for a one-set config as
  above);
* ``config`` + ``targets=True``: the clean targets of the config's test
  sets, scored by the no-reference metrics (``tools/test.py CONFIG
  --targets``) into ``targets/<config name>.json``: the reference row
  where the targets are known (the demos' held-out sets);
* ``folder`` (+ ``ref``, ``metrics``, ``test_set``): an input folder
  scored by ``tools/iqa.py`` into ``inputs/<test_set>.json``.

A row without runs (``runs=[]``, with a ``note`` such as "not in the
toolbox") is a method the toolbox does not run: it shows ``—``, and with
``--compare`` the paper's values.

A row's metrics are the union of its runs' (one teacher per test set);
several files of one run (seeds) give mean ± standard deviation
(:func:`~toolbox.evaluation.results.merge_runs`). A row none of whose
runs has a results file shows ``—`` and the commands that would make it
are listed under the table. Each metric of a results file may state its
convention (``conventions``: key → text, e.g. ``'SSIM skimage'``): one
column never mixes two (:class:`MixedConventions`).
"""
import glob
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from toolbox.evaluation.results import (MixedConventions,
                                        check_convention, load_results,
                                        merge_runs, split_metric_key)
from toolbox.evaluation.tables import (HIGHER_IS_BETTER, LABELS,
                                       column_digits, format_table)

#: The cell of a row that has not been run.
NOT_RUN = '—'


class SpecError(ValueError):
    """A spec file that does not describe a table (names the file and
    the key)."""


@dataclass
class Run:
    """One run of a row: where its results file is and how to make it."""
    pattern: str           # results file(s), a glob under the work folder
    command: str           # what writes it (one file; {seed}-free)


@dataclass
class FilledRow:
    """A row as found: its values (mean over files), spreads, the files
    read and the commands of the runs that had no file."""
    label: str
    note: str = ''
    values: Dict[str, float] = field(default_factory=dict)
    spreads: Dict[str, float] = field(default_factory=dict)
    files: List[str] = field(default_factory=list)
    missing: List[str] = field(default_factory=list)
    paper: Optional[List[Optional[float]]] = None

    @property
    def has_results(self) -> bool:
        return bool(self.files)


def load_spec(path: str) -> Dict[str, dict]:
    """The ``tables`` of a spec file, checked; a :class:`SpecError`
    names the file and what is wrong."""
    from mmengine.config import Config
    if not osp.isfile(path):
        raise SpecError(f'table spec not found: {path}')
    tables = Config.fromfile(path).to_dict().get('tables')
    if not isinstance(tables, dict) or not tables:
        raise SpecError(f'{path} defines no `tables = dict(...)`')
    for name, table in tables.items():
        where = f'{path}: tables.{name}'
        columns = table.get('columns')
        if not columns:
            raise SpecError(f'{where} has no columns')
        for row in table.get('rows') or []:
            if 'label' not in row or not isinstance(row.get('runs'), list):
                raise SpecError(f'{where}: every row needs a label and a '
                                f'list of runs (got {row})')
            if not row['runs'] and not row.get('note'):
                raise SpecError(f'{where}, row {row["label"]!r}: a row '
                                'without runs needs a note saying why')
            paper = row.get('paper')
            if paper is not None and len(paper) != len(columns):
                raise SpecError(
                    f'{where}, row {row["label"]!r}: {len(paper)} paper '
                    f'values for {len(columns)} columns')
            for run in row['runs']:
                if not ('config' in run and (
                        'checkpoint' in run or run.get('inputs') or
                        run.get('targets'))) and 'folder' not in run:
                    raise SpecError(
                        f'{where}, row {row["label"]!r}: a run is config + '
                        f'checkpoint, config + inputs=True, config + '
                        f'targets=True, or folder (got {run})')
        if not table.get('rows'):
            raise SpecError(f'{where} has no rows')
    return tables


def get_table(tables: Dict[str, dict], name: str, path: str) -> dict:
    if name not in tables:
        raise SpecError(f'{path} has no table {name!r}; its tables: '
                        f'{", ".join(tables)}')
    return tables[name]


def _quote(text: str) -> str:
    return f'"{text}"' if any(c in text for c in ' +()') else text


def plan_run(run: dict, label: str, work_dir: str) -> Run:
    """Where ``run``'s results file lies under ``work_dir`` and the
    command that writes it."""
    test_set = run.get('test_set')
    if 'folder' in run:
        out = osp.join(work_dir, 'inputs', f'{test_set or "set"}.json')
        metrics = ' '.join(run.get('metrics') or ['psnr', 'ssim'])
        command = (f'python tools/iqa.py {run["folder"]} --metrics {metrics}'
                   + (f' --ref {run["ref"]}' if run.get('ref') else '') +
                   f' --name {_quote(label)}' +
                   (f' --test-set {test_set}' if test_set else '') +
                   f' --out {out}')
        return Run(out, command)
    if run.get('inputs') or run.get('targets'):
        images = 'inputs' if run.get('inputs') else 'targets'
        name = osp.splitext(osp.basename(run['config']))[0]
        name = f'{name}_{test_set}' if test_set else name
        out = osp.join(work_dir, images, f'{name}.json')
        return Run(out, f'python tools/test.py {run["config"]} --{images} '
                   f'--name {_quote(label)}' +
                   (f' --test-set {test_set}' if test_set else '') +
                   f' --out {out}')
    checkpoint = osp.join(work_dir, run['checkpoint'])
    # Named by the config too: one checkpoint is tested by several configs
    # (the KT student on the synthetic and on the real-world test sets).
    name = osp.splitext(osp.basename(run['config']))[0]
    name = f'results_{name}_{test_set}.json' if test_set else \
        f'results_{name}.json'
    pattern = osp.join(osp.dirname(checkpoint), name)
    out = pattern.replace('*', '<seed>') if '*' in pattern else pattern
    command = (f'python tools/test.py {run["config"]} '
               f'{checkpoint.replace("*", "<seed>")} --name {_quote(label)}'
               + (f' --test-set {test_set}' if test_set else '') +
               (' --non-strict' if run.get('non_strict') else '') +
               f' --out {out}')
    return Run(pattern, command)


def fill_rows(table: dict, work_dir: str) -> List[FilledRow]:
    """Each row of ``table`` with the values its results files hold."""
    column_keys = [c[0] for c in table['columns']]
    column_owner: Dict[str, Tuple[str, str]] = {}
    rows = []
    for row in table['rows']:
        filled = FilledRow(row['label'], row.get('note', ''),
                           paper=row.get('paper'))
        for run in row['runs']:
            plan = plan_run(run, row['label'], work_dir)
            files = sorted(glob.glob(plan.pattern))
            if not files:
                filled.missing.append(plan.command)
                continue
            records = load_results(files)
            for record, path in zip(records, files):
                record['name'] = 'run'  # merge the files of one run
                check_convention(column_owner, record, path)
            merged = merge_runs(records)[0]
            for key in column_keys:
                if key in merged['metrics']:
                    filled.values[key] = merged['metrics'][key]
                    if 'spread' in merged:
                        filled.spreads[key] = merged['spread'][key]
            filled.files += files
        rows.append(filled)
    return rows


def _header(key: str, label: str) -> str:
    metric = split_metric_key(key)[1]
    higher = HIGHER_IS_BETTER.get(metric.upper())
    arrow = '' if higher is None else (' ↑' if higher else ' ↓')
    return LABELS.get(label, label) + arrow


def _cell(value: Optional[float], digits: Optional[int],
          spread: Optional[float] = None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '–'
    places = digits if digits is not None else column_digits([value])
    text = 'inf' if math.isinf(value) else f'{value:.{places}f}'
    if spread is not None:
        text += f' ± {spread:.{places}f}'
    return text


def render_spec_table(table: dict, rows: Sequence[FilledRow],
                      fmt: str = 'md', compare: bool = False) -> str:
    """The table in the paper's layout; ``compare`` adds the paper's row
    and our difference to it under each row that has paper values."""
    columns = table['columns']
    # The spec's rounding, or one per column (tables.column_digits).
    places = {}
    for index, (key, _) in enumerate(columns):
        values = [row.values.get(key) for row in rows]
        values += [row.paper[index] for row in rows if row.paper is not None]
        places[key] = table['digits'] if table.get('digits') is not None \
            else column_digits(values)
    header = ['method'] + [_header(key, label) for key, label in columns]
    body = []
    for row in rows:
        if row.has_results:
            body.append([row.label] + [
                _cell(row.values.get(key), places[key], row.spreads.get(key))
                for key, _ in columns])
        else:
            body.append([row.label] + [NOT_RUN] * len(columns))
        if compare and row.paper is not None:
            body.append([f'{row.label} (paper)'] + [
                _cell(v, places[key]) for v, (key, _) in zip(row.paper,
                                                             columns)])
            if row.has_results:
                body.append([f'{row.label} (ours − paper)'] + [
                    _cell(row.values[key] - paper, places[key])
                    if paper is not None and key in row.values else '–'
                    for (key, _), paper in zip(columns, row.paper)])
    return format_table(header, body, fmt)


def missing_commands(rows: Sequence[FilledRow]) -> List[str]:
    """The commands that would make the results files nobody made yet."""
    lines = []
    for row in rows:
        if not row.missing and not row.has_results and row.note:
            lines.append(f'{row.label}: {row.note}')
        lines += [f'{row.label}: {command}' for command in row.missing]
    return lines


__all__ = ['NOT_RUN', 'SpecError', 'MixedConventions', 'FilledRow',
           'load_spec', 'get_table', 'plan_run', 'fill_rows',
           'render_spec_table', 'missing_commands']
