"""Loss and metric curves from MMEngine's scalar logs
(``tools/analyze_logs.py``).

Every run writes ``<work_dir>/<timestamp>/vis_data/scalars.json``: one JSON
object per line, a training line (``loss``, ``loss_l1``, ``lr``, ...,
``iter``, ``step``) every ``default_hooks.logger.interval`` iterations and
a validation line (``PSNR``, ``SSIM`` or ``<set>/PSNR`` ..., ``step``) at
every validation. The x axis is the training iteration: a training line's
``step``; a validation line's ``step`` too since the default runtime logs
metrics by iteration (``log_metric_by_epoch=False``). A validation line
whose ``step`` lies behind the training lines before it (logs of runs made
with MMEngine's default, which writes the epoch, 0 in iteration-based
training) is placed at the last training iteration logged before it.

A work dir holds one timestamp folder per start of ``tools/train.py``
(the first run, then each ``--resume``): their logs are joined in time
order, and where a later start goes back to an earlier iteration (a resume
from an older checkpoint, or a new run in the same work dir) its points
replace the earlier ones from that iteration on.

Plotting needs matplotlib (``pip install matplotlib`` or the ``vis``
extra), imported only when a plot is drawn.
"""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from toolbox.user_errors import UserError

SCALARS_FILE = osp.join('vis_data', 'scalars.json')
#: Bookkeeping entries of a log line, never plotted by default.
NOT_CURVES = ('step', 'iter', 'epoch', 'time', 'data_time', 'memory', 'lr',
              'base_lr')

Series = List[Tuple[float, float]]


class RunLog:
    """The scalar curves of one work dir.

    Attributes:
        name: what the legend calls it (the work dir's folder name).
        files: the ``scalars.json`` files read, oldest first.
        train: ``key → [(iteration, value), ...]`` of the training lines.
        val: the same for the validation lines.
    """

    def __init__(self, name: str, files: List[str]):
        self.name = name
        self.files = files
        self.train: Dict[str, Series] = {}
        self.val: Dict[str, Series] = {}

    def series(self, key: str) -> Dict[str, Series]:
        """``{log key: points}`` of the keys ``key`` names: the key itself,
        and ``<set>/<key>`` of runs validating several sets."""
        found = {}
        for table in (self.train, self.val):
            for name, points in table.items():
                if points and (name == key or name.endswith('/' + key)):
                    found[name] = points
        return found

    def default_keys(self) -> List[str]:
        """``loss`` and every validation metric, in the order logged."""
        keys = ['loss'] if 'loss' in self.train else []
        return keys + [k for k in self.val if k not in NOT_CURVES]


def find_scalar_files(work_dir: str, newest_only: bool = False) -> List[str]:
    """The ``scalars.json`` files of a work dir, oldest first.

    ``work_dir`` may also be one timestamp folder or a ``scalars.json``
    file. A work dir without any is a :class:`UserError` that names it and
    the file looked for.
    """
    if osp.isfile(work_dir):
        return [work_dir]
    if not osp.isdir(work_dir):
        raise UserError(f'{work_dir}: no such work dir')
    own = osp.join(work_dir, SCALARS_FILE)
    if osp.isfile(own):
        return [own]
    files = sorted(glob.glob(osp.join(work_dir, '*', SCALARS_FILE)))
    if not files:
        raise UserError(
            f'{work_dir} holds no training log: looked for '
            f'{osp.join(work_dir, "<timestamp>", SCALARS_FILE)} (written by '
            'tools/train.py with the default LocalVisBackend).')
    return files[-1:] if newest_only else files


def _read_lines(path: str) -> List[dict]:
    lines = []
    with open(path, encoding='utf-8') as file:
        for number, line in enumerate(file, 1):
            line = line.strip()
            if not line:
                continue
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                # The last line of a run killed while writing it.
                continue
    return lines


def _as_number(value) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def read_run(work_dir: str, newest_only: bool = False,
             name: Optional[str] = None) -> RunLog:
    """The curves of one work dir (see the module docstring for how the
    logs of a resumed run are joined)."""
    files = find_scalar_files(work_dir, newest_only)
    run = RunLog(name or osp.basename(osp.normpath(work_dir)), files)
    for path in files:
        train: Dict[str, Series] = {}
        val: Dict[str, Series] = {}
        last_step = 0.0
        for entry in _read_lines(path):
            step = _as_number(entry.get('step'))
            if step is None:
                continue
            if 'iter' in entry:  # a training line
                last_step, table = step, train
            else:
                step, table = max(step, last_step), val
            for key, value in entry.items():
                value = _as_number(value)
                if key in ('step', 'iter', 'epoch') or value is None:
                    continue
                table.setdefault(key, []).append((step, value))
        starts = [points[0][0] for points in train.values() if points]
        if starts:
            # This start supersedes the earlier logs from its first step on.
            first = min(starts)
            for table in (run.train, run.val):
                for key in table:
                    table[key] = [p for p in table[key] if p[0] < first]
        for table, new in ((run.train, train), (run.val, val)):
            for key, points in new.items():
                table.setdefault(key, []).extend(points)
    if not any(run.train.values()) and not any(run.val.values()):
        raise UserError(f'{work_dir}: no scalars in {", ".join(files)} (a '
                        'run stopped before its first log line?)')
    return run


def smooth(values: Sequence[float], weight: float) -> List[float]:
    """TensorBoard's smoothing: an exponential moving average with
    ``weight`` in ``[0, 1)`` (0: the values unchanged), debiased so the
    first points are not pulled towards 0."""
    if not 0 <= weight < 1:
        raise UserError(f'--smooth must be in [0, 1), got {weight}')
    out, average = [], 0.0
    for count, value in enumerate(values, 1):
        average = weight * average + (1 - weight) * value
        out.append(average / (1 - weight**count) if weight else value)
    return out


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise UserError(
            'Plotting training curves needs matplotlib: pip install '
            "matplotlib (or pip install -e '.[vis]')") from error
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_curves(runs: Sequence[RunLog], out: str,
                keys: Optional[Sequence[str]] = None,
                smoothing: float = 0.0, title: str = '') -> List[str]:
    """Plot one subplot per key, one line per run (and per validation set)
    and save a PNG at ``out``; return the keys plotted.

    Training curves are smoothed with ``smoothing`` (the raw values drawn
    faintly behind); validation metrics are drawn as they are, with
    markers. A key no run logged is a :class:`UserError` listing the keys
    there are.
    """
    if keys is None:
        keys = []
        for run in runs:
            keys += [k for k in run.default_keys() if k not in keys]
    available = sorted({k for run in runs for k in (*run.train, *run.val)})
    missing = [k for k in keys if not any(run.series(k) for run in runs)]
    if missing or not keys:
        raise UserError(
            f'no run logged {missing or "any loss or metric"}; the logs hold '
            f'{", ".join(available) or "nothing"} (read from '
            f'{", ".join(f for run in runs for f in run.files)})')
    plt = _pyplot()
    columns = min(len(keys), 2)
    rows = (len(keys) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(6 * columns, 3.6 * rows),
                             squeeze=False)
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    for ax, key in zip(axes.flat, keys):
        line = 0
        for run in runs:
            for name, points in run.series(key).items():
                colour = colours[line % len(colours)]
                line += 1
                label = run.name if name == key else f'{run.name}: {name}'
                xs = [p[0] for p in points]
                ys = [p[1] for p in points]
                if name in run.train:
                    if smoothing:
                        ax.plot(xs, ys, color=colour, alpha=0.25,
                                linewidth=0.8)
                        ys = smooth(ys, smoothing)
                    ax.plot(xs, ys, color=colour, label=label)
                else:
                    ax.plot(xs, ys, color=colour, marker='o', markersize=3,
                            label=label)
        ax.set_title(key)
        ax.set_xlabel('iteration')
        ax.grid(alpha=0.3)
        ax.legend(fontsize='small')
    for ax in list(axes.flat)[len(keys):]:
        ax.axis('off')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return list(keys)


__all__ = ['RunLog', 'find_scalar_files', 'read_run', 'smooth',
           'plot_curves', 'SCALARS_FILE']
