"""Running ``tools/demo.py``'s chains: data, training, test, table, grid.

The chains are declared in :mod:`toolbox.app.demo_chains` (a tuple of
:class:`~toolbox.app.demo_chains.Train` and
:class:`~toolbox.app.demo_chains.Evaluate` steps each). :func:`run_chain`
runs one in order through the code path of ``tools/train.py`` and
``tools/test.py`` (:mod:`toolbox.app.runs`; consecutive trainings that need
no other's checkpoint side by side in child processes where the chain or
``--jobs`` asks for it, :mod:`toolbox.app.side_by_side`) and ends with

* the table: the degraded inputs (scored with each test set's own metrics,
  :func:`~toolbox.app.input_scores.score_inputs`), one row per tested
  model, and, where test sets with hidden targets have no-reference
  metrics, the clean targets' no-reference scores
  (:func:`~toolbox.app.input_scores.score_targets`), rendered as
  ``tools/make_table.py`` does, with the results files that reproduce it;
* ``grid.png``: a few images spread over every test set, one row each:
  input | the output of each model of the grid | target.

Each training runs in ``<work root>/<config name>``, the folder
``tools/train.py CONFIG`` uses by default, and is skipped when its final
checkpoint is there already: a chain reuses what an earlier chain, or the
commands of the method pages, trained (the KT chain the teachers, ...).
The chain's own outputs go to ``<work root>/demo/<chain>/``.
"""
import contextlib
import importlib
import os
import os.path as osp
import shutil
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from toolbox.apis.image_grid import labelled_grid, write_image
from toolbox.apis.inference import init_model
from toolbox.app.demo_chains import (Evaluate, Train, config_name, get_chain,
                                     independent_groups)
from toolbox.app.input_check import exit_if_inputs_missing
from toolbox.app.input_scores import (build_test_sets, metric_conventions,
                                      score_inputs, score_targets)
from toolbox.app.progress_hook import ProgressHook
from toolbox.app.runner_setup import load_config
from toolbox.app.runs import evaluate_checkpoint, train_from_config
from toolbox.app.side_by_side import (Job, machine_is_busy, plan_processes,
                                      run_side_by_side)
from toolbox.degradations.demo_stamp import check_stamp
from toolbox.engine.visualization import to_uint8_image
from toolbox.evaluation.results import (merge_runs, name_single_set,
                                        plain_number, write_results)
from toolbox.evaluation.tables import render_table
from toolbox.fileio import atomic_write_text
from toolbox.user_errors import UserError

DEMO_DATA = 'data/demo'
#: The parts of the demo data: folder, builder (module, function), what.
#: Each builder module declares the ``DATA_VERSION`` it writes and the
#: ``FOLDERS`` it owns (:mod:`toolbox.degradations.demo_stamp`).
DATA_PARTS = {
    'paired': (osp.join(DEMO_DATA, 'rain'), 'toolbox.degradations.demo_set',
               'make_demo_set', 'the paired and real-world-like sets'),
    'unpaired': (osp.join(DEMO_DATA, 'unpaired', 'rain'),
                 'toolbox.degradations.demo_unpaired', 'make_unpaired_rain',
                 'the unpaired rain set'),
    'real_like': (osp.join(DEMO_DATA, 'real_like'),
                  'toolbox.degradations.demo_real_like', 'make_real_like',
                  'the real-world-like adaptation and test sets'),
}
#: Images of each test set shown in the grid.
GRID_IMAGES = 3
#: The last row of a table whose test sets have hidden clean targets: what
#: the no-reference metrics give a perfect restoration (lower is not better
#: beyond it).
TARGETS_ROW = 'clean targets (no-reference scores)'


def load_step_config(config_root: str, config: str, work_dir: str,
                     options: Mapping[str, object],
                     iters: Optional[int] = None):
    """``configs/<config>`` as ``tools/train.py``/``test.py`` load it, with
    ``options`` (``--cfg-options``), into ``work_dir``; ``iters`` shortens
    an iteration-based training (``--iters``: the schedules are not
    rescaled)."""
    args = SimpleNamespace(cfg_options=dict(options), launcher='none',
                           work_dir=work_dir, trust_checkpoint=False)
    cfg = load_config(osp.join(config_root, config), args)
    if iters is not None:
        if cfg.train_cfg.get('type') != 'IterBasedTrainLoop':
            raise UserError(f'--iters: {config} does not train by '
                            'iterations')
        cfg.train_cfg.max_iters = iters
        if 'val_interval' in cfg.train_cfg:
            cfg.train_cfg.val_interval = iters
        if cfg.get('default_hooks', {}).get('checkpoint'):
            cfg.default_hooks.checkpoint.interval = iters
    return cfg


def train_job(config_root: str, config: str, work_dir: str,
              options: Mapping[str, object], iters: Optional[int],
              label: str, position: int = 0) -> None:
    """One training of a chain in a child process
    (:func:`~toolbox.app.side_by_side.run_side_by_side`); its progress bar
    on row ``position``."""
    cfg = load_step_config(config_root, config, work_dir, options, iters)
    train_from_config(cfg, 'tools/demo.py',
                      hooks=[ProgressHook(label, position)])


def select_device(device: str) -> str:
    """Make ``device`` the one MMEngine's Runner picks; return it.

    ``'auto'``: a GPU when there is one (as ``tools/train.py``); ``'cpu'``
    hides the GPUs; ``'cuda'``/``'cuda:N'`` requires one (``cuda:N`` shows
    only GPU N). Call it before anything uses CUDA.
    """
    if device == 'cpu':
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    elif device.startswith('cuda:'):
        os.environ['CUDA_VISIBLE_DEVICES'] = device.split(':', 1)[1]
    elif device not in ('auto', 'cuda'):
        raise UserError(f"--device {device}: use 'auto', 'cpu', 'cuda' or "
                        "'cuda:N'")
    import torch
    if device != 'auto' and device != 'cpu' and not \
            torch.cuda.is_available():
        raise UserError(f'--device {device}: PyTorch sees no GPU here '
                        f'(torch {torch.__version__}; a CPU-only build?)')
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def select_threads() -> Optional[str]:
    """One intra-op thread when the CPUs are busy; returns why, or None.

    On a machine whose load average exceeds its number of CPUs, PyTorch's
    threads spin waiting for each other: on 2 cores the default demo took
    222 s with two threads and 49 s with one at load 5, 18 min (250 s of
    CPU time) and 5 min (44 s) at load 12. ``OMP_NUM_THREADS`` set by the
    user wins.
    """
    if os.environ.get('OMP_NUM_THREADS') or not machine_is_busy():
        return None
    cpus, load = os.cpu_count(), os.getloadavg()[0]
    import torch
    torch.set_num_threads(1)
    return (f'the CPUs are busy (load {load:.1f} on {cpus}): one thread '
            '(OMP_NUM_THREADS=N chooses)')


@dataclass
class DemoSettings:
    """What ``tools/demo.py``'s options set."""
    config_root: str               # the repository's configs/
    work_root: str = 'work_dirs'
    device: str = 'cpu'            # for the grid (the Runner picks its own)
    iters: Optional[int] = None    # shorten every training (tests, smoke)
    jobs: Optional[int] = None     # trainings at once (None: the chain's)
    retrain: bool = False
    grid_images: int = GRID_IMAGES
    verbose: bool = False          # MMEngine's log on the console too


class DemoRun:
    """One run of a chain (:func:`run_chain`)."""

    def __init__(self, name: str, settings: DemoSettings):
        self.name = name
        self.chain = get_chain(name)
        self.settings = settings
        self.out_dir = osp.join(settings.work_root, 'demo', name)
        self.checkpoints: Dict[str, str] = {}  # config name -> final ckpt
        # config name -> the final checkpoint of each seed (Train.seeds)
        self.runs: Dict[str, List[str]] = {}
        self.options = {config_name(s.config): dict(s.options)
                        for s in self.chain.steps if isinstance(s, Train)}
        self.console_log = osp.join(self.out_dir, 'console.log')
        self._log_file = None
        self._count = 0

    # ----------------------------------------------------------- helpers
    def say(self, text: str) -> None:
        print(text, flush=True)

    @contextlib.contextmanager
    def _step_output(self):
        """MMEngine's console output of a step goes to console.log (and
        the work dir's own log), unless --verbose."""
        if self.settings.verbose:
            yield
            return
        if self._log_file is None:
            os.makedirs(self.out_dir, exist_ok=True)
            self._log_file = open(self.console_log, 'w', buffering=1)
        try:
            with contextlib.redirect_stdout(self._log_file):
                yield
        except BaseException:
            print(f"tools/demo.py: the step stopped; MMEngine's log of it: "
                  f'{self.console_log}', file=sys.stderr, flush=True)
            raise

    def load(self, config: str, work_dir: str,
             extra: Optional[dict] = None):
        """The config as ``tools/train.py``/``test.py`` load it, with the
        chain's options (placeholders resolved), ``extra`` options and
        ``--iters``."""
        return load_step_config(self.settings.config_root, config, work_dir,
                                self._options(config, extra),
                                self.settings.iters)

    def _options(self, config: str, extra: Optional[dict] = None) -> dict:
        """The chain's ``--cfg-options`` of ``config`` (placeholders
        resolved) and ``extra``."""
        options = {}
        for key, value in self.options.get(config_name(config), {}).items():
            if isinstance(value, str):
                try:
                    value = value.format_map(self.checkpoints)
                except KeyError as missing:
                    raise UserError(f'{config}: {key} needs the checkpoint '
                                    f'of {missing}, which this chain has '
                                    'not trained') from None
            options[key] = value
        options.update(extra or {})
        return options

    def _step_label(self, kind: str, config: str) -> str:
        self._count += 1
        return f'[{self._count}/{self._total}] {kind} {config_name(config)}'

    # ------------------------------------------------------------- steps
    def prepare_data(self) -> None:
        """Build the parts of ``data/demo`` the chain reads that are not
        there (a folder made before the unpaired rain set existed gets
        that part only), and rebuild those whose stamp is missing or of
        another data version than the toolbox writes (an interrupted
        build, or data of an older synthesis): their folders are removed
        first, so no image of the old data stays."""
        for part in self.chain.data:
            folder, module, function, what = DATA_PARTS[part]
            builder = importlib.import_module(module)
            if osp.isdir(folder):
                check = check_stamp(DEMO_DATA, part, builder.DATA_VERSION)
                if check.current:
                    self.say(f'data: {folder} is there ({check.reason}; '
                             'delete it to rebuild it with '
                             'tools/make_demo_data.py)')
                    continue
                self.say(f'data: rebuilding {what}, as {folder} is out of '
                         f'date: {check.reason}. Trainings already in '
                         f'{self.settings.work_root} are reused as they are '
                         '(--retrain trains them again on the new data)')
                for owned in builder.FOLDERS:
                    if osp.isdir(osp.join(DEMO_DATA, owned)):
                        shutil.rmtree(osp.join(DEMO_DATA, owned))
            else:
                self.say(f'data: building {what} in {folder} from '
                         'scikit-image photos (tools/make_demo_data.py)')
            counts = getattr(builder, function)(DEMO_DATA)
            self.say(f'      {sum(counts.values())} images written')

    def train(self, step: Train) -> None:
        """Train ``step`` (each of its seeds), or reuse its checkpoints."""
        self.train_together([step])

    def train_together(self, steps: Sequence[Train]) -> None:
        """Train ``steps``, none of which needs another's checkpoint:
        side by side in child processes when the machine has the cores for
        it and the chain gains from it (``Chain.side_by_side``,
        :func:`~toolbox.app.side_by_side.plan_processes`; ``--jobs``
        decides where given), otherwise one after the other in this
        process. A run whose final checkpoint exists is reused."""
        todo = []  # (config, what to say and pass on, final checkpoint)
        finals = {}  # config name -> the final checkpoint of each run
        for step in steps:
            name = config_name(step.config)
            runs = [(osp.join(self.settings.work_root, name), '', None)] \
                if not step.seeds else [
                    (osp.join(self.settings.work_root, f'{name}_seed{seed}'),
                     f' (seed {seed})', {'randomness.seed': seed})
                    for seed in step.seeds]
            finals[name] = []
            for work_dir, suffix, extra in runs:
                label = self._step_label('train', step.config) + suffix
                cfg = self.load(step.config, work_dir, extra)
                final = osp.join(work_dir,
                                 f'iter_{cfg.train_cfg.max_iters}.pth')
                finals[name].append(final)
                if osp.isfile(final) and not self.settings.retrain:
                    self.say(f'{label}: reusing {final} (trained earlier; '
                             '--retrain trains again)')
                    continue
                todo.append((cfg, dict(
                    label=label, config=step.config, work_dir=work_dir,
                    options=self._options(step.config, extra),
                    iterations=cfg.train_cfg.max_iters), final))
        jobs = self.settings.jobs
        if jobs is None and not self.chain.side_by_side:
            jobs = 1
        processes, threads = plan_processes(len(todo), jobs,
                                            self.settings.device)
        if processes == 1:
            for cfg, run, final in todo:
                self._train_here(cfg, run, final)
        else:
            self._train_side_by_side(todo, processes, threads)
        for step in steps:
            name = config_name(step.config)
            self.checkpoints[name] = finals[name][0]  # the grid's
            if step.seeds:
                self.runs[name] = finals[name]

    def _started(self, run: dict, note: str = '') -> None:
        self.say(f'{run["label"]}: configs/{run["config"]}, '
                 f'{run["iterations"]} iterations -> {run["work_dir"]}'
                 f'{note}')

    def _train_here(self, cfg, run: dict, final: str) -> None:
        """Train one run in this process."""
        self._started(run)
        start = time.time()
        with self._step_output():
            train_from_config(cfg, 'tools/demo.py',
                              hooks=[ProgressHook(run['label'])])
        if not osp.isfile(final):
            raise RuntimeError(f'training {run["config"]} wrote no {final}')
        self.say(f'{" " * len(run["label"])}  done in '
                 f'{time.time() - start:.0f} s')

    def _train_side_by_side(self, todo, processes: int, threads: int) -> None:
        """Train the runs of ``todo`` in ``processes`` child processes of
        ``threads`` threads each (:mod:`toolbox.app.side_by_side`)."""
        logs = osp.join(self.out_dir, 'logs')
        os.makedirs(logs, exist_ok=True)
        self.say(f'{len(todo)} trainings side by side: {processes} at a '
                 f'time, {threads} thread{"s" * (threads > 1)} each '
                 '(--jobs 1: one after the other)')
        jobs, runs = [], {}
        for cfg, run, final in todo:
            # What train_from_config would stop on, said before any child
            # starts (a missing teacher, data folder...).
            exit_if_inputs_missing(cfg, 'tools/demo.py', stage='train')
            log = None if self.settings.verbose else osp.join(
                logs, f'{osp.basename(run["work_dir"])}.log')
            job = Job(run['label'], 'toolbox.app.demo:train_job', kwargs=dict(
                config_root=self.settings.config_root, config=run['config'],
                work_dir=run['work_dir'], options=run['options'],
                iters=self.settings.iters, label=run['label']), log=log)
            jobs.append(job)
            runs[job.name] = (run, final, log)

        def started(job):
            run, _, log = runs[job.name]
            self._started(run, f' (log: {log})' if log else '')

        def done(job, _, seconds):
            run, final, _ = runs[job.name]
            if not osp.isfile(final):
                raise RuntimeError(f'training {run["config"]} wrote no '
                                   f'{final}')
            self.say(f'{job.name}: done in {seconds:.0f} s')

        run_side_by_side(jobs, processes, threads, started, done)

    def checkpoints_of(self, step: Evaluate) -> List[str]:
        """The final checkpoints a test step scores: one, or one per seed
        of its training."""
        name = config_name(step.trained)
        return self.runs.get(name, [self.checkpoints[name]])

    def test(self, step: Evaluate, checkpoint: str
             ) -> Tuple[Dict[str, float], Dict[str, str]]:
        """The metrics of ``checkpoint`` under the step's config and their
        conventions, keyed ``'<test set>/<METRIC>'``."""
        config = step.config or step.trained
        cfg = self.load(config, osp.join(self.settings.work_root,
                                         config_name(config)))
        cfg.experiment_name = (f'{config_name(config)}_test_'
                               f'{time.strftime("%Y%m%d_%H%M%S")}_'
                               f'{self._count}')
        label = self._step_label('test', config)
        self.say(f'{label}: {checkpoint} as "{step.row}"')
        with self._step_output():
            metrics = evaluate_checkpoint(cfg, checkpoint, 'tools/demo.py',
                                          strict=step.strict,
                                          hooks=[ProgressHook(label)])
        return (self._prefixed(cfg, metrics),
                self._prefixed(cfg, metric_conventions(cfg)))

    def _prefixed(self, cfg, metrics: Dict[str, float]) -> Dict[str, float]:
        # One test set: the loop leaves its name out of the keys; the
        # chain's table needs it (several configs, several sets).
        metrics = {k: plain_number(v) for k, v in metrics.items()}
        loaders = cfg.test_dataloader
        if isinstance(loaders, (list, tuple)) and len(loaders) > 1:
            return metrics
        loader = loaders[0] if isinstance(loaders, (list, tuple)) else loaders
        return name_single_set(metrics, loader['dataset'].get('name') or
                               'set0')

    def input_record(self, targets: bool = False) -> dict:
        """The degraded inputs' row over every test set of the chain; with
        ``targets``, the clean targets' by the no-reference metrics (the
        reference row; its metrics are empty when no set has both)."""
        metrics = OrderedDict()
        score = score_targets if targets else score_inputs
        for config in self._test_configs():
            cfg = self.load(config, osp.join(self.settings.work_root,
                                             config_name(config)))
            for test_set, values in score(cfg).items():
                for metric, value in values.items():
                    metrics.setdefault(f'{test_set}/{metric}', float(value))
        return dict(name=TARGETS_ROW if targets else 'degraded input',
                    config=None, checkpoint=None, metrics=metrics)

    def _test_configs(self) -> List[str]:
        configs = []
        for step in self.chain.steps:
            if isinstance(step, Evaluate):
                config = step.config or step.trained
                if config not in configs:
                    configs.append(config)
        return configs

    def grid(self, tests: Sequence[Evaluate]) -> Tuple[str, List[str], int]:
        """Write grid.png; return its path, its columns, its rows."""
        import torch

        columns = []
        for step in tests:
            if step.column is not None and step.column not in columns:
                columns.append(step.column)
        cells: Dict[Tuple[str, int], dict] = OrderedDict()
        for step in tests:
            if step.column is None:
                continue
            config = step.config or step.trained
            cfg = self.load(config, osp.join(self.settings.work_root,
                                             config_name(config)))
            checkpoint = self.checkpoints[config_name(step.trained)]
            model = init_model(cfg, checkpoint, self.settings.device,
                               strict=step.strict)
            for test_set in build_test_sets(cfg):
                for index in _spread(len(test_set.dataset),
                                     self.settings.grid_images):
                    item = test_set.dataset[index]
                    sample = item['data_samples']
                    # Two test sets of one folder (the GAN demos score the
                    # held-out pairs with and without references) share
                    # their rows.
                    key = sample.metainfo.get('img_path') or (
                        test_set.name, index)
                    cell = cells.setdefault(key, dict(
                        input=to_uint8_image(item['inputs']),
                        target=to_uint8_image(sample.gt_img)
                        if 'gt_img' in sample else None,
                        label=f'{test_set.name}\n'
                        f'{sample.metainfo.get("key", index)}'))
                    with torch.no_grad():
                        out = model.test_step(dict(inputs=[item['inputs']],
                                                   data_samples=[sample]))
                    cell[step.column] = to_uint8_image(out[0].pred_img)
            del model
        rows = [[c['input']] + [c.get(col) for col in columns] +
                [c['target']] for c in cells.values()]
        header = ['input'] + columns + ['target']
        path = osp.join(self.out_dir, 'grid.png')
        write_image(labelled_grid(rows, header,
                                  [c['label'] for c in cells.values()]),
                    path)
        return path, header, len(rows)

    # -------------------------------------------------------------- run
    def run(self) -> dict:
        """Run every step; print and write the table and the grid."""
        steps = self.chain.steps
        seeds = {config_name(s.config): len(s.seeds) for s in steps
                 if isinstance(s, Train) and s.seeds}
        self._total = sum(seeds.get(config_name(
            s.config if isinstance(s, Train) else s.trained), 1)
            for s in steps)
        start = time.time()
        self.say(f'demo "{self.name}": {self.chain.summary}\n'
                 f'expected time: {self.chain.duration} on 2 CPU cores; '
                 f'outputs: {self.out_dir}/')
        self.prepare_data()
        # (row, run): the record of one run of a row; tests of one row
        # (e.g. one teacher per test set) fill one record per run.
        rows: Dict[Tuple[str, int], dict] = OrderedDict()
        for group in independent_groups(steps):
            if isinstance(group[0], Train):
                self.train_together(group)
                continue
            step, = group
            config = step.config or step.trained
            row = step.row
            if self.settings.iters is not None:  # say it in the table
                row = f'{row}, --iters {self.settings.iters}'
            for run, checkpoint in enumerate(self.checkpoints_of(step)):
                record = rows.setdefault((row, run), dict(
                    name=row, config=[], checkpoint=[], metrics={},
                    conventions={}))
                metrics, conventions = self.test(step, checkpoint)
                record['metrics'].update(metrics)
                record['conventions'].update(conventions)
                record['config'].append(f'configs/{config}')
                record['checkpoint'].append(checkpoint)
        self.say('scoring the degraded inputs with the same metrics, and '
                 'the clean targets with the no-reference ones')
        records = [self.input_record()] + list(rows.values())
        reference = self.input_record(targets=True)
        if reference['metrics']:
            records.append(reference)
        result_files = []
        for index, record in enumerate(records):
            for key in ('config', 'checkpoint'):
                if isinstance(record[key], list) and len(record[key]) == 1:
                    record[key] = record[key][0]
            path = osp.join(self.out_dir, 'results', f'{index}.json')
            write_results(record, path)
            result_files.append(path)
        table = render_table(merge_runs(records), 'md')
        atomic_write_text(table, osp.join(self.out_dir, 'table.md'))
        self.say('making the image grid')
        grid_path, header, num_rows = self.grid(
            [s for s in steps if isinstance(s, Evaluate)])
        self.say(f'\nResults of the "{self.name}" demo '
                 f'({self.out_dir}/table.md; the same table: '
                 f'python tools/make_table.py {" ".join(result_files)}):\n')
        self.say(table)
        self.say(f'Image grid: {grid_path} ({num_rows} rows: '
                 f'{self.settings.grid_images} images spread over each test '
                 f'set; columns: {" | ".join(header)})')
        if not self.settings.verbose and self._log_file is not None:
            self.say(f"MMEngine's log of every step: {self.console_log} "
                     'and the work dirs')
        self.say(f'Total time: {time.time() - start:.0f} s. More: '
                 f'{self.chain.doc}')
        if self._log_file is not None:
            self._log_file.close()
        return dict(records=records, table=table, grid=grid_path,
                    rows=num_rows, columns=header)


def _spread(length: int, count: int) -> List[int]:
    """``count`` indices spread evenly over ``range(length)``, first and
    last included (neighbours in a test set are often the same scene)."""
    count = min(count, length)
    if count <= 1:
        return list(range(count))
    return sorted({round(i * (length - 1) / (count - 1))
                   for i in range(count)})


def run_chain(name: str, settings: DemoSettings) -> dict:
    """Run the chain ``name`` of
    :data:`~toolbox.app.demo_chains.CHAINS`; returns its records,
    table, grid path and grid shape (:func:`get_chain` for an unknown
    name)."""
    get_chain(name)
    return DemoRun(name, settings).run()


__all__ = ['DATA_PARTS', 'DEMO_DATA', 'TARGETS_ROW', 'DemoSettings',
           'DemoRun', 'run_chain', 'select_device', 'select_threads',
           'load_step_config', 'train_job']
