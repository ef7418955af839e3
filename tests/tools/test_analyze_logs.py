"""tools/analyze_logs.py and toolbox/engine/training_logs.py: curves of
MMEngine's scalar logs, several runs in one plot, resumed runs joined."""
import json
import time

import cv2
import pytest

from tests.helpers import run_script, write_paired_folder
from toolbox.user_errors import UserError
from toolbox.engine.training_logs import read_run, smooth


def write_log(work_dir, timestamp, lines):
    folder = work_dir / timestamp / 'vis_data'
    folder.mkdir(parents=True)
    with open(folder / 'scalars.json', 'w') as file:
        for line in lines:
            file.write(json.dumps(line) + '\n')


def train_line(step, loss):
    return dict(loss=loss, lr=0.1, time=1.0, iter=step, step=step)


def test_resumed_run_is_joined_and_later_starts_win(tmp_path):
    write_log(tmp_path, '20250101_000000', [
        train_line(10, 1.0), train_line(20, 0.8), dict(PSNR=20.0, step=20),
        train_line(30, 0.7), train_line(40, 0.6)])  # crashed after 40
    # Resumed from the checkpoint of iteration 20: iterations 30, 40 again.
    write_log(tmp_path, '20250102_000000', [
        train_line(30, 0.5), train_line(40, 0.4), dict(PSNR=22.0, step=40)])
    run = read_run(str(tmp_path))
    assert run.name == tmp_path.name and len(run.files) == 2
    assert run.train['loss'] == [(10, 1.0), (20, 0.8), (30, 0.5), (40, 0.4)]
    assert run.val['PSNR'] == [(20, 20.0), (40, 22.0)]
    assert run.default_keys() == ['loss', 'PSNR']
    newest = read_run(str(tmp_path), newest_only=True)
    assert newest.train['loss'] == [(30, 0.5), (40, 0.4)]


def test_metrics_logged_by_epoch_sit_at_the_last_iteration(tmp_path):
    # MMEngine's default (log_metric_by_epoch=True) logs step 0 for
    # iteration-based training; a truncated last line is skipped.
    folder = tmp_path / '20250101_000000' / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(
        json.dumps(train_line(5, 1.0)) + '\n' +
        json.dumps({'rain/PSNR': 20.0, 'sots/PSNR': 25.0, 'step': 0}) +
        '\n{"loss": 0.')
    run = read_run(str(tmp_path))
    assert run.val['rain/PSNR'] == [(5, 20.0)]
    assert sorted(run.series('PSNR')) == ['rain/PSNR', 'sots/PSNR']


def test_work_dir_without_logs_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match=str(tmp_path) + '.*scalars.json'):
        read_run(str(tmp_path))
    with pytest.raises(UserError, match='no such work dir'):
        read_run(str(tmp_path / 'missing'))


def test_smoothing():
    assert smooth([1.0, 2.0, 3.0], 0) == [1.0, 2.0, 3.0]
    smoothed = smooth([1.0, 1.0, 5.0], 0.5)
    assert smoothed[:2] == pytest.approx([1.0, 1.0])  # debiased
    assert 1.0 < smoothed[2] < 5.0
    with pytest.raises(UserError):
        smooth([1.0], 1.0)


def train(repo_root, data, work_dir, *options, resume=False):
    """Train the tiny demo config for a few iterations (validating every
    2, logging every iteration)."""
    args = [
        'configs/demo/tiny_restorer.py', '--work-dir', str(work_dir),
        *(['--resume'] if resume else []),
        '--cfg-options',
        f'train_dataloader.dataset.data_root={data}/train',
        f'val_dataloader.dataset.data_root={data}/test',
        'train_dataloader.batch_size=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1',
        'default_hooks.visualization.num_images=0',
        'param_scheduler.0.T_max=4',
        *options
    ]
    started = time.monotonic()
    result = run_script(repo_root, 'tools/train.py', *args)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    # A run's log folder is named by its start to the second: the next
    # start into the same work dir must be in another second.
    time.sleep(max(0.0, 1.1 - (time.monotonic() - started)))


def test_plots_two_real_runs_one_resumed(repo_root, tmp_path):
    data = tmp_path / 'data'
    write_paired_folder(data / 'train', count=4, size=64)
    write_paired_folder(data / 'test', count=2, size=32, seed=1)
    first, second = tmp_path / 'first', tmp_path / 'second'
    train(repo_root, data, first, 'train_cfg.max_iters=2')
    train(repo_root, data, first, 'train_cfg.max_iters=4', resume=True)
    train(repo_root, data, second, 'train_cfg.max_iters=4',
          'optim_wrapper.optimizer.lr=0.01')

    resumed = read_run(str(first))
    assert len(resumed.files) == 2  # two starts, joined
    assert [p[0] for p in resumed.train['loss']] == [1, 2, 3, 4]
    assert [p[0] for p in resumed.val['PSNR']] == [2, 4]

    out = tmp_path / 'plots' / 'curves.png'
    result = run_script(
        repo_root, 'tools/analyze_logs.py', str(first), str(second),
        '--keys', 'loss', 'PSNR', '--out', str(out), '--smooth', '0.3')
    assert result.returncode == 0, result.stderr
    assert 'loss, PSNR of 2 run(s) plotted' in result.stdout
    image = cv2.imread(str(out))
    assert image is not None and image.shape[0] > 100 \
        and image.shape[1] > 500  # two subplots side by side
    assert image.std() > 0

    # A work dir without logs: the message names it and the file sought.
    empty = tmp_path / 'empty'
    empty.mkdir()
    result = run_script(
        repo_root, 'tools/analyze_logs.py', str(first), str(empty),
        '--out', str(tmp_path / 'x.png'))
    assert result.returncode == 2
    assert str(empty) in result.stderr and 'scalars.json' in result.stderr
    assert not (tmp_path / 'x.png').exists()
