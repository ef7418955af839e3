"""Issue 18: faults a hostile but realistic user provokes, and what the
tools do about them (docs/reliability.md lists each with its test).

Tools run in this process (``runpy``) where they can, to keep the suite
fast: a subprocess costs seconds of imports on a loaded 2-core machine.
"""
import io
import os
import os.path as osp
import runpy
import sys
import time

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from tests.helpers import write_paired_folder
from tests.tools.test_gan_tools import demo_options, gan_data  # noqa: F401
from toolbox.registry import MODELS

TINY = 'configs/demo/tiny_restorer.py'
CYCLEGAN = 'configs/cyclegan/cyclegan_demo.py'


def run_inprocess(repo_root, script, args, capsys, monkeypatch):
    """Run ``tools/<script>`` as ``__main__``; return (exit status, output)."""
    monkeypatch.chdir(repo_root)
    monkeypatch.setattr(sys, 'argv', [script] + [str(a) for a in args])
    code = 0
    try:
        runpy.run_path(osp.join(repo_root, script), run_name='__main__')
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (
            0 if stop.code is None else 1)
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(scope='module')
def paired_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('rel_paired')
    write_paired_folder(root / 'train', count=4, size=64)
    write_paired_folder(root / 'test', count=2, size=32, seed=1)
    return root


def tiny_options(root, max_iters=2, interval=2):
    return [
        f'train_dataloader.dataset.data_root={root}/train',
        f'val_dataloader.dataset.data_root={root}/test',
        f'test_dataloader.dataset.data_root={root}/test',
        'train_dataloader.batch_size=2',
        f'train_cfg.max_iters={max_iters}',
        f'train_cfg.val_interval={interval}',
        f'default_hooks.checkpoint.interval={interval}',
        f'param_scheduler.0.T_max={max_iters}',
    ]


def save_model_of(config, path, **model_changes):
    """A toolbox-style checkpoint of ``config``'s model built with
    ``model_changes`` (another width: another model)."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(model_changes)
    with DefaultScope.overwrite_default_scope('toolbox'):
        model = MODELS.build(cfg.model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return model


# --- 1. A checkpoint of a different model is refused -------------------------


def test_test_tool_refuses_a_checkpoint_of_another_width(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):
    ckpt = tmp_path / 'narrow.pth'
    save_model_of(TINY, ckpt, **{'model.generator.mid_channels': 16})
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, ckpt, '--cfg-options'] + tiny_options(paired_root),
        capsys, monkeypatch)
    assert code == 2, log[-3000:]
    assert 'size mismatch in 11 of 12 tensors' in log
    assert 'file 16×3×3×3, network 32×3×3×3' in log and str(ckpt) in log
    assert 'Traceback' not in log and 'PSNR:' not in log
    # On purpose: --non-strict scores what fits, and says what did not.
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, ckpt, '--non-strict', '--cfg-options'] +
        tiny_options(paired_root), capsys, monkeypatch)
    assert code == 0, log[-3000:]
    assert 'Non-strict loading' in log and 'loaded 1 of 12 tensors' in log


@pytest.mark.parametrize('network_only', [False, True])
def test_test_tool_refuses_a_gan_checkpoint_of_another_width(
        network_only, repo_root, gan_data, tmp_path, capsys,  # noqa: F811
        monkeypatch):
    ckpt = tmp_path / 'wider.pth'
    width = Config.fromfile(CYCLEGAN).model.generator.base_channels
    model = save_model_of(CYCLEGAN, ckpt,
                          **{'model.generator.base_channels': 2 * width})
    if network_only:  # an official-style generator file
        torch.save(model.generator_a2b.state_dict(), ckpt)
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        CYCLEGAN, ckpt, '--cfg-options'] + demo_options(gan_data),
        capsys, monkeypatch)
    assert code == 2, log[-3000:]
    assert 'size mismatch in' in log and 'does not fit' in log
    assert 'Traceback' not in log and 'PSNR:' not in log


def test_two_runs_in_one_second_in_one_process(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):
    """MMEngine keeps loggers by experiment name, ``<config>_<timestamp>``
    to the second: a second run in the same process and second (a demo's
    steps, a notebook, the suite) must not inherit the first run's logger,
    which writes to the first run's streams (closed here, as between two
    tests)."""
    strftime = time.strftime
    monkeypatch.setattr(time, 'strftime', lambda fmt, *when: (
        '20260101_000000' if fmt == '%Y%m%d_%H%M%S' else
        strftime(fmt, *when)))
    ckpt = tmp_path / 'tiny.pth'
    save_model_of(TINY, ckpt)
    args = [TINY, ckpt, '--cfg-options'] + tiny_options(paired_root)
    first = io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(sys, 'stdout', first)
        patch.setattr(sys, 'stderr', first)
        code, _ = run_inprocess(repo_root, 'tools/test.py', args, capsys,
                                monkeypatch)
    assert code == 0 and 'PSNR:' in first.getvalue()
    first.close()
    code, log = run_inprocess(repo_root, 'tools/test.py', args, capsys,
                              monkeypatch)
    assert code == 0, log[-3000:]
    assert 'PSNR:' in log and 'Logging error' not in log


def test_an_image_too_small_for_a_metric_is_named(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):
    """NIQE needs 96×96 pixels; the test split has 32×32 images: one line
    naming the metric and the image, exit 2, no traceback."""
    ckpt = tmp_path / 'tiny.pth'
    save_model_of(TINY, ckpt)
    code, log = run_inprocess(repo_root, 'tools/test.py', [
        TINY, ckpt, '--cfg-options', 'test_evaluator.1.type=NIQE'] +
        tiny_options(paired_root), capsys, monkeypatch)
    assert code == 2, log[-3000:]
    assert 'NIQE cannot score ' in log and str(paired_root) in log
    assert 'NIQE needs at least 96×96 pixels, got (32, 32)' in log
    assert 'Traceback' not in log


def test_an_override_value_keeps_its_spaces(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):
    """``--cfg-options "+work_dir=<dir>/a b"`` trains into ``a b``, not
    ``ab`` (MMEngine's DictAction removes every space)."""
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--cfg-options', f'+work_dir={tmp_path}/a b'] +
        tiny_options(paired_root), capsys, monkeypatch)
    assert code == 0, log[-3000:]
    assert (tmp_path / 'a b' / 'iter_2.pth').is_file()
    assert not (tmp_path / 'ab').exists()


# --- 2. A NaN loss stops training --------------------------------------------


def test_nan_loss_stops_training_before_a_bad_checkpoint(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', tmp_path, '--cfg-options'] +
        tiny_options(paired_root, max_iters=4, interval=2) +
        ['optim_wrapper.optimizer.lr=1e6'], capsys, monkeypatch)
    assert code == 2, log[-3000:]
    assert 'non-finite loss at iteration 2: loss = nan, loss_l1 = nan' in log
    assert 'no earlier checkpoint was written' in log
    assert 'Traceback' not in log
    assert not list(tmp_path.glob('*.pth'))


def test_nan_loss_skip_option_counts_skipped_steps(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', tmp_path, '--cfg-options'] +
        tiny_options(paired_root, max_iters=3, interval=3) +
        ['optim_wrapper.optimizer.lr=1e6', 'default_hooks.logger.interval=1',
         'default_hooks.non_finite.on_non_finite=skip'],
        capsys, monkeypatch)
    assert code == 0, log[-3000:]
    assert 'skipped_steps: 2' in log and 'optimiser steps skipped' in log
    state = torch.load(tmp_path / 'iter_3.pth', weights_only=False)
    assert all(torch.isfinite(v).all()
               for v in state['state_dict'].values())


# --- 3. A damaged LMDB is refused, naming it ---------------------------------

READ_EVERY_KEY = '''
import sys
from toolbox.datasets.listing import list_images
from toolbox.datasets.transforms.loading import read_image
try:
    keys, backend_args = list_images(sys.argv[1])
    for key in keys:
        read_image(key, backend_args)
except OSError as error:
    print(type(error).__name__, error)
    sys.exit(3)
'''


def small_lmdb(tmp_path, count=4, size=48):
    from toolbox.datasets.lmdb_utils import create_lmdb
    src = write_paired_folder(tmp_path / 'src', count=count, size=size)
    db = tmp_path / 'db.lmdb'
    create_lmdb(str(src / 'input'), str(db), compress_level=0,
                progress=False)
    return src, db


def test_truncated_lmdb_is_refused_not_a_bus_error(repo_root, tmp_path):
    import subprocess
    _, db = small_lmdb(tmp_path)
    data = db / 'data.mdb'
    with open(data, 'r+b') as file:
        file.truncate(data.stat().st_size // 2)
    # A subprocess: the defect kills the process reading (SIGBUS).
    result = subprocess.run([sys.executable, '-c', READ_EVERY_KEY, str(db)],
                            cwd=repo_root, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 3, (result.returncode, result.stderr[-2000:])
    assert f'LMDBError LMDB {db} is damaged' in result.stdout
    assert 'truncated' in result.stdout


def test_verify_lists_bad_keys(repo_root, tmp_path, capsys, monkeypatch):
    import lmdb
    from toolbox.datasets.lmdb_utils import verify_lmdb
    _, db = small_lmdb(tmp_path)
    assert verify_lmdb(str(db)) == []
    env = lmdb.open(str(db), map_size=1 << 24)
    with env.begin(write=True) as txn:
        value = txn.get(b'001')
        txn.put(b'001', value[:len(value) // 2])  # a damaged value
        txn.delete(b'002')                        # a lost one
        txn.put(b'stray', value)                  # an unlisted one
    env.close()
    code, log = run_inprocess(repo_root, 'tools/create_lmdb.py',
                              ['--verify', db], capsys, monkeypatch)
    assert code == 1, log
    assert '001: Cannot decode image 001' in log
    assert '002: listed in meta_info.txt but not in the database' in log
    assert 'stray: in the database but not listed' in log
    assert '3 bad keys' in log


# --- 4. create_lmdb checks every image before packing it ---------------------


def truncated_jpeg_folder(tmp_path):
    import cv2
    src = write_paired_folder(tmp_path / 'src', count=3, size=64)
    folder = src / 'input'
    good = cv2.imread(str(folder / '001.png'))
    cv2.imwrite(str(folder / 'cut.jpg'), cv2.resize(good, (256, 256)))
    content = (folder / 'cut.jpg').read_bytes()
    (folder / 'cut.jpg').write_bytes(content[:len(content) * 2 // 3])
    return folder


def test_create_lmdb_refuses_a_truncated_jpeg(repo_root, tmp_path, capsys,
                                              monkeypatch):
    from toolbox.datasets.transforms.loading import ImageReadError, read_image
    folder = truncated_jpeg_folder(tmp_path)
    with pytest.raises(ImageReadError, match='cut.jpg'):  # the folder rule
        read_image(str(folder / 'cut.jpg'))
    db = tmp_path / 'x.lmdb'
    code, log = run_inprocess(repo_root, 'tools/create_lmdb.py', [
        '--input', folder, '--output', db], capsys, monkeypatch)
    assert code == 2, log
    assert '1 of 4 images' in log and f'{folder}/cut.jpg' in log
    assert 'truncated' in log and '--skip-bad' in log
    assert not db.exists()
    code, log = run_inprocess(repo_root, 'tools/create_lmdb.py', [
        '--input', folder, '--output', db, '--skip-bad'], capsys,
        monkeypatch)
    assert code == 0, log
    assert '3 images in' in log
    # BasicSR's lines: the file name of each stored PNG.
    keys = [line.split()[0] for line in
            (db / 'meta_info.txt').read_text().splitlines()]
    assert keys == ['000.png', '001.png', '002.png']
    report = (tmp_path / 'x.lmdb.bad_files.txt').read_text()
    assert f'{folder}/cut.jpg' in report


# --- 5. Resuming with a longer schedule --------------------------------------


def test_resume_with_a_longer_schedule_follows_the_config(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):
    # T_max stays 400 (the config's): only the loop grows, so the resumed
    # rate must be the straight run's, not frozen at iteration 2's.
    def options(iters):
        return ['--cfg-options'] + [
            o for o in tiny_options(paired_root, iters, 2)
            if not o.startswith('param_scheduler')]

    straight, resumed = tmp_path / 'straight', tmp_path / 'resumed'
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', straight] + options(4), capsys, monkeypatch)
    assert code == 0, log[-3000:]
    # --resume on an empty work dir says that it starts from scratch.
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', resumed, '--resume'] + options(2), capsys,
        monkeypatch)
    assert code == 0, log[-3000:]
    assert f'--resume: no checkpoint in {resumed}' in log
    assert 'starting from scratch' in log and 'checkpoint None' not in log
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', resumed, '--resume', '--resume-schedule',
        'stop'] + options(4), capsys, monkeypatch)
    assert code == 2, log[-3000:]
    assert 'end 2 in the checkpoint, 4 in the config' in log
    assert '--resume-schedule config' in log
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', resumed, '--resume'] + options(4), capsys,
        monkeypatch)
    assert code == 0, log[-3000:]
    assert "with the config's schedule" in log

    def lr(folder, name):
        state = torch.load(folder / name, weights_only=False)
        return state['optimizer']['param_groups'][0]['lr']

    # Today's bug: frozen at iteration 2's rate. The first run's schedule
    # ended at 2 (its last step left the rate alone), so the resumed one is
    # a step behind the straight run, not equal to it.
    assert lr(resumed, 'iter_4.pth') < lr(resumed, 'iter_2.pth')
    assert lr(resumed, 'iter_4.pth') == pytest.approx(
        lr(straight, 'iter_4.pth'), rel=1e-3)


# --- 5b. One training per work dir -------------------------------------------

#: Holds a lock as a training run does, until it is killed.
HOLD_LOCK = """
import sys
from toolbox.locking import exclusive_lock
with exclusive_lock(sys.argv[1], 'held'):
    print('held', flush=True)
    sys.stdin.read()
"""


def test_resume_under_another_optim_wrapper_is_refused(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):
    """Resuming a checkpoint with other optimiser groups or another
    optimiser type stops with one message before training (was: PyTorch's
    "different number of parameter groups" traceback, exit 1; for another
    type a ``KeyError`` at the first step)."""
    work_dir = tmp_path / 'w'
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', work_dir, '--cfg-options'] +
        tiny_options(paired_root), capsys, monkeypatch)
    assert code == 0, log[-3000:]
    sgd = tmp_path / 'sgd.py'
    sgd.write_text(f"_base_ = ['{repo_root}/{TINY}']\n"
                   "optim_wrapper = dict(optimizer=dict(_delete_=True, "
                   "type='SGD', lr=0.01, momentum=0.9))\n")
    cases = [
        (TINY, ['optim_wrapper.paramwise_cfg.bias_lr_mult=2.0'],
         '1 parameter group in the file, 12 in the config'),
        (sgd, [], "another optimiser type (SGD in the config; settings only "
                  "in the config: ['dampening', 'momentum', 'nesterov']; "
                  "only in the file: ['amsgrad', 'betas'"),
    ]
    for config, extra, expected in cases:
        code, log = run_inprocess(repo_root, 'tools/train.py', [
            config, '--work-dir', work_dir, '--resume', '--cfg-options'] +
            tiny_options(paired_root, max_iters=4) + extra, capsys,
            monkeypatch)
        assert code == 2, log[-3000:]
        assert (f'--resume: the optimiser state in {work_dir}/iter_2.pth '
                "does not fit this config's optimisers: ") in log, log[-3000:]
        assert expected in log, log[-3000:]
        assert 'Traceback' not in log
        assert not (work_dir / 'iter_4.pth').exists()


def test_a_second_training_into_one_work_dir_is_refused(
        repo_root, paired_root, tmp_path, capsys, monkeypatch):
    """Issue 28, defect 6: two trainings into one --work-dir at once
    overwrote each other's checkpoints and last_checkpoint. While a run
    holds ``<work_dir>/.lock`` a second ``tools/train.py`` stops at once
    (exit 2), naming the work dir and the holder's pid; a lock left by a
    killed run does not block the next one."""
    import signal
    import subprocess

    from tests.helpers import CPU_ONLY_ENV
    work_dir = tmp_path / 'w'
    work_dir.mkdir()
    lock = work_dir / '.lock'
    env = dict(os.environ, **CPU_ONLY_ENV, OMP_NUM_THREADS='1')
    holder = subprocess.Popen([sys.executable, '-c', HOLD_LOCK, str(lock)],
                              cwd=repo_root, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    args = [TINY, '--work-dir', work_dir, '--cfg-options'] + tiny_options(
        paired_root)
    try:
        assert holder.stdout.readline().strip() == 'held'
        result = subprocess.run(
            [sys.executable, 'tools/train.py'] + [str(a) for a in args],
            cwd=repo_root, capture_output=True, text=True, timeout=300,
            env=env)
        assert result.returncode == 2, result.stdout + result.stderr[-3000:]
        assert (f'tools/train.py: error: work dir {work_dir} is in use by '
                f'another training run (pid {holder.pid} on ') in \
            result.stderr
        assert f'lock {lock})' in result.stderr
        assert 'pass another --work-dir' in result.stderr
        assert 'Traceback' not in result.stderr
        assert os.listdir(work_dir) == ['.lock']  # nothing written
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
    assert lock.exists()  # left behind by the killed run, unlocked
    code, log = run_inprocess(repo_root, 'tools/train.py', args, capsys,
                              monkeypatch)
    assert code == 0, log[-3000:]
    assert (work_dir / 'iter_2.pth').is_file()
    assert not lock.exists()  # released and removed at the end


# --- 6. A misspelled override is an error ------------------------------------


def _args(**options):
    from argparse import Namespace
    return Namespace(cfg_options=options, launcher='none', work_dir=None,
                     trust_checkpoint=False)


def test_misspelled_override_names_the_closest_key():
    from toolbox.user_errors import UserError
    from toolbox.app.runner_setup import load_config
    with pytest.raises(UserError) as error:
        load_config(TINY, _args(**{'trian_cfg.max_iters': 2}))
    message = str(error.value)
    assert "no key 'trian_cfg'" in message
    assert 'did you mean train_cfg' in message and '+KEY=VALUE' in message
    # Existing keys merge; a new top-level key needs the + prefix.
    cfg = load_config(TINY, _args(**{'train_cfg.max_iters': 2,
                                     '+my_note': 'abc'}))
    assert cfg.train_cfg.max_iters == 2 and cfg.my_note == 'abc'


def test_override_without_equals_says_the_expected_form(
        repo_root, capsys, monkeypatch):
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--cfg-options', 'foo'], capsys, monkeypatch)
    assert code == 2, log
    assert "'foo' is not of the form KEY=VALUE" in log
    assert 'not enough values to unpack' not in log
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--cfg-options', 'trian_cfg.max_iters=2'], capsys, monkeypatch)
    assert code == 2 and 'did you mean train_cfg' in log, log[-2000:]
    assert 'Traceback' not in log


# --- Across the tools: user errors, bad files in folders ---------------------


@pytest.fixture(scope='module')
def tiny_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp('tiny_ckpt') / 'tiny.pth'
    save_model_of(TINY, path)
    return path


def test_user_errors_exit_2_with_one_message(
        repo_root, tmp_path, tiny_checkpoint, gan_data,  # noqa: F811
        capsys, monkeypatch):
    bad_config = tmp_path / 'bad.py'
    bad_config.write_text('model = dict(\n')
    unknown_type = tmp_path / 'unknown.py'
    unknown_type.write_text("model = dict(type='Restorerr')\n")
    no_model = tmp_path / 'no_model.py'
    no_model.write_text(f"_base_ = ['{repo_root}/configs/_base_/"
                        "default_runtime.py']\n")
    text = tmp_path / 'notes.pth'
    text.write_text('not weights\n')
    image = write_paired_folder(tmp_path / 'imgs', count=1, size=16)
    a_file = tmp_path / 'a_file'
    a_file.write_text('')
    infer = ['--input', image / 'input' / '000.png', '--output']
    cases = [
        ('tools/train.py', [bad_config],
         f'config {bad_config} does not parse, line 1'),
        ('tools/test.py', ['missing.py', tiny_checkpoint],
         'config file not found: missing.py'),
        ('tools/train.py', [no_model], f'{no_model} defines no model'),
        # The data exist (a fresh clone has no data/demo): only the
        # misspelled option is wrong.
        ('tools/train.py', [CYCLEGAN, '--work-dir', tmp_path / 'g',
                            '--cfg-options',
                            'model.gan_loss.gan_type=lsgann'] +
         demo_options(gan_data),
         "gan_type must be one of ('lsgan', 'vanilla', 'hinge'), got "
         "'lsgann'; did you mean 'lsgan'?"),
        ('tools/infer.py', [unknown_type, '--checkpoint', tiny_checkpoint] +
         infer + [tmp_path / 'o.png'],
         'Restorerr is not in the toolbox::model registry. Did you mean '
         'Restorer?'),
        ('tools/infer.py', [TINY, '--checkpoint', text] + infer +
         [tmp_path / 'o.png'], f'{text} is not a checkpoint'),
        ('tools/infer.py', [TINY, '--checkpoint', tiny_checkpoint] + infer +
         [tmp_path / 'o.jpgg'], '.jpgg is not an image format'),
        ('tools/infer.py', [TINY, '--checkpoint', tiny_checkpoint,
                            '--input', image / 'input', '--output', a_file],
         'is a file, but the input'),
    ]
    for tool, args, expected in cases:
        code, log = run_inprocess(repo_root, tool, args, capsys, monkeypatch)
        assert code == 2, (tool, args, log[-2000:])
        assert expected in log, (tool, log[-2000:])
        assert 'Traceback' not in log and '--debug' in log
    # --debug: the traceback of a user error (here: the exception itself).
    from toolbox.user_errors import UserError
    with pytest.raises(UserError, match='does not parse'):
        run_inprocess(repo_root, 'tools/train.py', [bad_config, '--debug'],
                      capsys, monkeypatch)


def folder_with_a_bad_image(tmp_path):
    folder = write_paired_folder(tmp_path / 'src', count=3, size=16)
    (folder / 'input' / '001.png').write_bytes(b'\x89PNG broken')
    return folder


def test_infer_folder_restores_every_readable_image(
        repo_root, tmp_path, tiny_checkpoint, capsys, monkeypatch):
    src = folder_with_a_bad_image(tmp_path)
    out = tmp_path / 'out'
    code, log = run_inprocess(repo_root, 'tools/infer.py', [
        TINY, '--checkpoint', tiny_checkpoint, '--input', src / 'input',
        '--output', out], capsys, monkeypatch)
    assert code == 1, log[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ['000.png', '002.png']
    assert '1 of 3 images were not restored' in log
    assert f'{src}/input/001.png: Cannot decode image' in log


def test_iqa_folder_scores_every_readable_image(
        repo_root, tmp_path, capsys, monkeypatch):
    src = folder_with_a_bad_image(tmp_path)
    code, log = run_inprocess(repo_root, 'tools/iqa.py', [
        src / 'input', '--ref', src / 'target', '--metrics', 'psnr'],
        capsys, monkeypatch)
    assert code == 1, log[-2000:]
    assert '000' in log and '002' in log and 'mean' in log
    assert '1 of 3 images could not be read' in log
    assert f'{src}/input/001.png' in log


# --- Across the tools: two nodes on one machine; a hung rank -----------------


def test_two_nodes_train_and_a_hung_rank_stops_the_other(
        repo_root, paired_root, tmp_path):
    """tools/dist_train.sh with NNODES=2 (NODE_RANK 0 and 1 on localhost,
    one process each, gloo) trains and checkpoints; when rank 1 then hangs
    (SIGSTOP: its connections stay open, so only the timeout can tell),
    rank 0 exits non-zero within the collective timeout."""
    import os
    import re
    import signal
    import subprocess
    import time

    from tests.helpers import CPU_ONLY_ENV, free_port
    timeout_s = 10
    env = dict(os.environ, **CPU_ONLY_ENV, NNODES='2', PORT=str(free_port()),
               OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1',
               TOOLBOX_DIST_TIMEOUT=str(timeout_s))
    options = tiny_options(paired_root, max_iters=200, interval=2) + [
        'default_hooks.logger.interval=1', 'train_cfg.val_interval=1000']
    logs, nodes = [], []
    for rank in (0, 1):
        logs.append(open(tmp_path / f'node{rank}.log', 'w+'))
        nodes.append(subprocess.Popen(
            ['bash', 'tools/dist_train.sh', TINY, '1', '--work-dir',
             str(tmp_path / 'work'), '--cfg-options'] + options,
            cwd=repo_root, env=dict(env, NODE_RANK=str(rank)),
            stdout=logs[-1], stderr=subprocess.STDOUT,
            start_new_session=True))

    def text(rank):
        return (tmp_path / f'node{rank}.log').read_text()

    try:
        deadline = time.time() + 240
        while 'Iter(train) [  4/200]' not in text(0):
            assert time.time() < deadline and nodes[0].poll() is None, \
                text(0)[-3000:]
            time.sleep(0.5)
        assert 'rank 0 of world size 2' in text(0)
        # Training runs on while this loop polls, and the checkpoint hook
        # keeps only the newest three: any iteration checkpoint will do.
        assert sorted((tmp_path / 'work').glob('iter_*.pth')), \
            sorted(p.name for p in (tmp_path / 'work').iterdir())
        worker = int(re.search(r'rank 1 of world size 2 \(pid (\d+)\)',
                               text(1)).group(1))
        os.kill(worker, signal.SIGSTOP)
        stopped = time.time()
        code = nodes[0].wait(timeout=timeout_s + 60)
        assert code != 0
        assert time.time() - stopped < timeout_s + 60
        assert f'Timed out waiting {timeout_s * 1000}ms' in text(0)
        os.kill(worker, signal.SIGKILL)
        assert nodes[1].wait(timeout=60) != 0
    finally:
        for node in nodes:
            if node.poll() is None:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait()
        for log in logs:
            log.close()
