"""Independent jobs side by side, one child process each, a fixed number
of threads each (the trainings of ``tools/demo.py``).

Why: the GAN demos train small networks (0.4-2 M parameters on 64² crops,
batch 1) on CPUs. PyTorch splits each small operation over its intra-op
threads, which then wait on each other; two such trainings with one thread
each finish sooner than the same two one after the other with two threads
each (measured in docs/methods/dcdgan.md; not so for the MPRNet demos,
docs/get_started.md). And a run with one thread is the run
``OMP_NUM_THREADS=1 python tools/train.py CONFIG`` gives on that CPU, the
setting the method pages measure their seeds with, whatever else runs
beside it.

Each job is ``python -m toolbox.app.side_by_side JOB RESULT POSITION``,
started with ``OMP_NUM_THREADS`` set; the child imports the job's
``target`` (``'module:function'``) and calls it with the job's arguments
and ``position`` (the row of its progress bar). Its stdout goes to the
job's log file, its stderr to the parent's. The child reports back through
a small result file: what the function returned, or the error it raised
(a :class:`~toolbox.user_errors.UserError` stays one), or the exit status
it asked for. A child that dies without a report (killed, out of memory)
is reported with its signal. When one job fails the others are stopped:
nothing waits minutes for trainings whose chain cannot go on.
"""
import os
import pickle
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from toolbox.user_errors import UserError

#: How often the parent looks at its children (seconds).
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Job:
    """One child process: ``target(*args, position=...)`` with its stdout
    in ``log`` (``None``: the parent's stdout). ``name`` is how messages
    name it."""
    name: str
    target: str
    args: Tuple = ()
    log: Optional[str] = None
    kwargs: Dict = field(default_factory=dict)


def machine_is_busy() -> bool:
    """Whether the load average exceeds the number of CPUs (there, more
    threads or processes only wait on each other)."""
    if not hasattr(os, 'getloadavg'):
        return False
    cpus = os.cpu_count() or 1
    return cpus > 1 and os.getloadavg()[0] >= cpus


def plan_processes(jobs: int, requested: Optional[int] = None,
                   device: str = 'cpu') -> Tuple[int, int]:
    """How many of ``jobs`` independent jobs to run at once, and with how
    many threads each: ``(processes, threads)``; ``processes == 1`` means
    one after the other in this process (``threads`` is then 0: leave
    the process's own).

    ``requested`` (``--jobs``): that many at once (at most ``jobs``).
    Otherwise one per CPU core up to ``jobs``, the cores shared out as
    threads; one at a time on a GPU (the jobs would share its memory) and
    on a busy machine. ``OMP_NUM_THREADS`` set by the user is the threads
    of each process, and ``cores // threads`` bounds the processes.
    """
    if requested is not None and requested < 1:
        raise UserError(f'--jobs {requested}: use 1 or more')
    cpus = os.cpu_count() or 1
    user_threads = os.environ.get('OMP_NUM_THREADS', '')
    user_threads = int(user_threads) if user_threads.isdigit() and \
        int(user_threads) > 0 else None
    if requested is None:
        if device != 'cpu' or machine_is_busy():
            return 1, 0
        requested = max(1, cpus // (user_threads or 1))
    processes = min(requested, jobs)
    if processes <= 1:
        return 1, 0
    threads = user_threads or max(1, cpus // processes)
    return processes, threads


def _describe_exit(code: int) -> str:
    if code < 0:
        import signal
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f'signal {-code}'
        hint = ' (out of memory?)' if -code == 9 else ''
        return f'was stopped by {name}{hint}'
    return f'exited with status {code} without a report'


class _Running:
    """A started child: its process, job, result file and start time."""

    def __init__(self, job: Job, position: int, threads: int, folder: str):
        self.job, self.position = job, position
        stem = os.path.join(folder, f'{position}_{time.monotonic_ns()}')
        self.job_file, self.result_file = stem + '.job', stem + '.result'
        with open(self.job_file, 'wb') as f:
            pickle.dump(job, f)
        env = dict(os.environ, OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        self.log = open(job.log, 'a', buffering=1) if job.log else None
        self.start = time.time()
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'toolbox.app.side_by_side',
             self.job_file, self.result_file, str(position)],
            env=env, stdout=self.log)

    def report(self) -> dict:
        """The child's report; one made up from its exit status when it
        left none."""
        code = self.process.returncode
        try:
            with open(self.result_file, 'rb') as f:
                return pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError):
            return dict(error=f'{self.job.name} {_describe_exit(code)}',
                        user_error=False, traceback='')

    def close(self) -> None:
        if self.log is not None:
            self.log.close()


def _fail(report: dict, job: Job):
    """The parent's exception for a failed child's report."""
    if 'exit' in report:  # the child asked to exit (its stderr said why)
        raise SystemExit(report['exit'])
    where = f' (its log: {job.log})' if job.log else ''
    if report.get('user_error'):
        raise UserError(f'{job.name}: {report["error"]}{where}')
    raise RuntimeError(f'{job.name} failed{where}: {report["error"]}\n'
                       f'{report.get("traceback", "")}'.rstrip())


def run_side_by_side(jobs: Sequence[Job], processes: int, threads: int,
                     on_start: Optional[Callable[[Job], None]] = None,
                     on_done: Optional[Callable[[Job, object, float],
                                                None]] = None) -> List:
    """Run ``jobs``, at most ``processes`` at once with ``threads`` threads
    each, in the given order as slots free up; return what each target
    returned, in the order of ``jobs``.

    ``on_start(job)`` and ``on_done(job, returned, seconds)`` are called in
    this process as each job starts and ends. The first failure stops the
    other children and is raised here: the child's
    :class:`~toolbox.user_errors.UserError` as one, ``SystemExit`` with
    the status the child exited with, anything else as a ``RuntimeError``
    with the child's traceback. Ctrl-C stops them all too.
    """
    waiting = list(enumerate(jobs))
    running: List[Tuple[int, _Running]] = []
    results: Dict[int, object] = {}
    with tempfile.TemporaryDirectory(prefix='toolbox_jobs_') as folder:
        try:
            while waiting or running:
                while waiting and len(running) < processes:
                    index, job = waiting.pop(0)
                    used = {r.position for _, r in running}
                    position = min(set(range(processes)) - used)
                    if on_start:
                        on_start(job)
                    running.append((index, _Running(job, position, threads,
                                                    folder)))
                time.sleep(POLL_SECONDS)
                for index, child in list(running):
                    if child.process.poll() is None:
                        continue
                    running.remove((index, child))
                    child.close()
                    report = child.report()
                    if 'returned' not in report:
                        _fail(report, child.job)
                    results[index] = report['returned']
                    if on_done:
                        on_done(child.job, report['returned'],
                                time.time() - child.start)
        finally:
            for _, child in running:  # after a failure or Ctrl-C
                child.process.terminate()
            for _, child in running:
                try:
                    child.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
                child.close()
    return [results[i] for i in range(len(jobs))]


def _child(job_file: str, result_file: str, position: str) -> int:
    """The child's side: run the job, write the report, return the exit
    status."""
    import importlib
    with open(job_file, 'rb') as f:
        job: Job = pickle.load(f)
    try:
        module, function = job.target.split(':')
        target = getattr(importlib.import_module(module), function)
        report = dict(returned=target(*job.args, position=int(position),
                                      **job.kwargs))
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
        report = dict(exit=status)
    except BaseException as error:  # noqa: B902 (Ctrl-C included)
        user_error = isinstance(error, UserError)  # its message says all
        report = dict(error=str(error) if user_error else
                      f'{type(error).__name__}: {error}',
                      user_error=user_error,
                      traceback=traceback.format_exc())
        status = 1
    # Written whole or not at all: the parent reads a file only after the
    # child has exited, and a missing one means "died".
    partial = result_file + '.part'
    with open(partial, 'wb') as f:
        pickle.dump(report, f)
    os.replace(partial, result_file)
    return status


__all__ = ['Job', 'machine_is_busy', 'plan_processes', 'run_side_by_side']

if __name__ == '__main__':
    sys.exit(_child(*sys.argv[1:4]))
