"""toolbox.app.side_by_side: how many jobs run at once with how many
threads, and the child processes' results, errors and stops."""
import os
import time

import pytest

from toolbox.app.side_by_side import Job, plan_processes, run_side_by_side
from toolbox.user_errors import UserError

TARGETS = 'tests.app.side_by_side_targets'


@pytest.fixture
def machine(monkeypatch):
    """A machine of ``cpus`` cores at ``load``, no OMP_NUM_THREADS."""
    def make(cpus, load=0.0):
        monkeypatch.setattr(os, 'cpu_count', lambda: cpus)
        monkeypatch.setattr(os, 'getloadavg', lambda: (load, load, load))
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    return make


def test_one_process_per_core_with_the_cores_shared_out(machine,
                                                        monkeypatch):
    machine(2)
    assert plan_processes(3) == (2, 1)
    assert plan_processes(1) == (1, 0)    # nothing to run beside it
    assert plan_processes(3, requested=1) == (1, 0)
    assert plan_processes(3, device='cuda') == (1, 0)
    machine(8)
    assert plan_processes(3) == (3, 2)
    assert plan_processes(3, requested=2) == (2, 4)
    monkeypatch.setenv('OMP_NUM_THREADS', '4')  # the user's threads win
    assert plan_processes(3) == (2, 4)
    machine(2, load=3.0)  # busy: one at a time, as select_threads
    assert plan_processes(3) == (1, 0)
    with pytest.raises(UserError, match='--jobs 0'):
        plan_processes(3, requested=0)


@pytest.fixture
def child_path(monkeypatch, repo_root):
    # The children import their targets from the tests package.
    monkeypatch.setenv('PYTHONPATH', str(repo_root))


def test_results_in_order_at_most_n_at_once_with_their_threads(
        child_path, tmp_path):
    jobs = [Job(f'job {k}', f'{TARGETS}:report', (k, ),
                log=str(tmp_path / f'{k}.log')) for k in range(3)]
    started, done = [], []
    results = run_side_by_side(
        jobs, 2, 1, on_start=lambda job: started.append(job.name),
        on_done=lambda job, value, seconds: done.append((job.name, seconds)))
    assert [r['tag'] for r in results] == [0, 1, 2]
    assert {r['threads'] for r in results} == {'1'}
    assert {r['position'] for r in results} <= {0, 1}
    # Jobs 0 and 1 ran together; job 2 started when one of them had ended.
    assert results[0]['start'] < results[1]['end']
    assert results[2]['start'] >= min(results[0]['end'], results[1]['end'])
    assert started == ['job 0', 'job 1', 'job 2']
    assert sorted(name for name, _ in done) == started
    assert all(seconds >= 0.5 for _, seconds in done)
    assert (tmp_path / '2.log').read_text().strip() == 'log line of 2'


def test_a_user_error_stays_one_and_names_the_job(child_path, tmp_path):
    job = Job('[2/5] train x', f'{TARGETS}:user_mistake',
              log=str(tmp_path / 'x.log'))
    with pytest.raises(UserError) as error:
        run_side_by_side([job], 2, 1)
    assert str(error.value) == (f'[2/5] train x: configs/x.py: no such '
                                f'file (its log: {tmp_path / "x.log"})')


def test_a_bug_comes_back_with_its_traceback(child_path):
    with pytest.raises(RuntimeError) as error:
        run_side_by_side([Job('train y', f'{TARGETS}:bug')], 2, 1)
    message = str(error.value)
    assert message.startswith('train y failed: ZeroDivisionError: division')
    assert 'side_by_side_targets.py' in message  # the child's traceback


def test_an_exit_status_and_a_killed_child(child_path):
    with pytest.raises(SystemExit) as stop:
        run_side_by_side([Job('z', f'{TARGETS}:exit_status', (2, ))], 2, 1)
    assert stop.value.code == 2
    with pytest.raises(RuntimeError, match='z was stopped by SIGKILL '
                       r'\(out of memory\?\)'):
        run_side_by_side([Job('z', f'{TARGETS}:killed')], 2, 1)


def test_a_failure_stops_the_other_children(child_path, tmp_path):
    marker = tmp_path / 'finished'
    start = time.time()
    with pytest.raises(RuntimeError, match='train y failed'):
        run_side_by_side([Job('sleeper', f'{TARGETS}:sleeper',
                              (30, str(marker))),
                          Job('train y', f'{TARGETS}:bug')], 2, 1)
    # Without the stop the sleeper would be killed only after a 10 s wait.
    assert time.time() - start < 9
    time.sleep(0.5)
    assert not marker.exists()
