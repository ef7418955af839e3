"""End-to-end runs of tools/train.py, tools/test.py and tools/dist_train.sh.

They use configs/demo/tiny_restorer.py on a tiny generated image folder, so
the paths a user takes from the README are the ones tested.
"""
import copy
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tests.helpers import (CPU_ONLY_ENV, free_port, run_tool_in_process,
                           write_paired_folder)
from toolbox.engine.checkpoint import install_safe_checkpoint_loader

CONFIG = 'configs/demo/tiny_restorer.py'


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo_rain')
    write_paired_folder(root / 'train', count=6, size=64)
    write_paired_folder(root / 'test', count=2, size=40, seed=1)
    return root


def data_options(root, max_iters=2, interval=2, batch_size=2,
                 checkpoint_interval=None):
    return [
        f'train_dataloader.dataset.data_root={root}/train',
        f'val_dataloader.dataset.data_root={root}/test',
        f'test_dataloader.dataset.data_root={root}/test',
        f'train_dataloader.batch_size={batch_size}',
        f'train_cfg.max_iters={max_iters}',
        f'train_cfg.val_interval={interval}',
        'default_hooks.checkpoint.interval='
        f'{checkpoint_interval or interval}',
        f'param_scheduler.0.T_max={max_iters}',
    ]


def run_tool(repo_root, args, timeout=240, env=None):
    env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1',
               **(env or {}))
    result = subprocess.run(args, cwd=repo_root, env=env, capture_output=True,
                            text=True, timeout=timeout)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    return log


def load_state(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def assert_same_weights(a, b, atol=1e-6):
    """``a`` and ``b`` (state dicts) hold the same tensors up to ``atol``."""
    assert a.keys() == b.keys() and len(a) > 0
    for key in a:
        diff = (a[key].float() - b[key].float()).abs().max().item()
        assert diff <= atol, f'{key}: max |diff| {diff:.3g} > {atol}'


@pytest.fixture(scope='module')
def trained(repo_root, data_root, tmp_path_factory):
    """One 3-iteration training run (a checkpoint every iteration, one
    validation at the end), shared read-only by the tests below: a test that
    writes into a work dir copies it first (:func:`copy_work_dir`)."""
    work_dir = tmp_path_factory.mktemp('tiny')
    log = run_tool(repo_root, [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), '--cfg-options'] +
        data_options(data_root, max_iters=3, interval=3,
                     checkpoint_interval=1))
    return work_dir, log


def copy_work_dir(src, dst, last=None):
    """Copy a work dir; point its ``last_checkpoint`` at ``last`` (a file
    name in it) as if the run had stopped there."""
    shutil.copytree(src, dst)
    if last is not None:
        names = sorted(p.name for p in dst.glob('iter_*.pth'))
        for name in names[names.index(last) + 1:]:
            (dst / name).unlink()
        (dst / 'last_checkpoint').write_text(str(dst / last))
    return dst


def test_train_validates_and_checkpoints(trained):
    work_dir, log = trained
    for i in (1, 2, 3):
        assert (work_dir / f'iter_{i}.pth').is_file()
    assert 'PSNR' in log and 'SSIM' in log
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith(
        'iter_3.pth')


class _StateProbe(Hook):
    """Records the iteration, optimizer and scheduler state the run starts
    from."""

    def __init__(self):
        self.seen = {}

    def before_train(self, runner):
        self.seen['iter'] = runner.iter
        self.seen['optimizer'] = copy.deepcopy(
            runner.optim_wrapper.state_dict())
        self.seen['schedulers'] = [
            copy.deepcopy(s.state_dict()) for s in runner.param_schedulers]


def test_resume_continues_iteration_and_optimizer_state(
        trained, data_root, repo_root, tmp_path, monkeypatch):
    """2 iterations + resume + 1 == 3 straight iterations: the weights, the
    optimizer and the scheduler (and so the learning rate) all continue."""
    assert torch.__version__ >= '2.6'  # weights_only=True is the default
    work_dir, _ = trained
    checkpoint = load_state(work_dir / 'iter_2.pth')
    straight = load_state(work_dir / 'iter_3.pth')
    monkeypatch.chdir(repo_root)
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.dataset.data_root = f'{data_root}/train'
    cfg.val_dataloader.dataset.data_root = f'{data_root}/test'
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg.max_iters = 3
    cfg.train_cfg.val_interval = 100
    cfg.param_scheduler[0].T_max = 3
    cfg.work_dir = str(tmp_path)
    cfg.resume, cfg.load_from = True, str(work_dir / 'iter_2.pth')
    # A script that builds its own Runner installs the safe loader itself
    # (the tools do it in load_config).
    install_safe_checkpoint_loader()
    runner = Runner.from_cfg(cfg)
    probe = _StateProbe()
    runner.register_hook(probe, priority='LOWEST')
    runner.train()
    assert probe.seen['iter'] == 2
    assert runner.iter == 3
    saved = checkpoint['optimizer']['state']
    resumed = probe.seen['optimizer']['state']
    assert saved.keys() == resumed.keys() and len(saved) > 0
    for key in saved:
        assert torch.equal(saved[key]['exp_avg'], resumed[key]['exp_avg'])
        assert torch.equal(saved[key]['step'], resumed[key]['step'])
    # The scheduler starts where the checkpoint left it ...
    assert probe.seen['schedulers'] == checkpoint['param_schedulers']
    assert probe.seen['schedulers'][0]['last_step'] == 2
    # ... and ends where the straight run ended, at its learning rate.
    assert [s.state_dict() for s in runner.param_schedulers] == \
        straight['param_schedulers']
    lr = runner.optim_wrapper.state_dict()['param_groups'][0]['lr']
    assert lr == straight['optimizer']['param_groups'][0]['lr']
    assert lr < 1e-3 and runner.param_schedulers[0].state_dict()[
        '_global_step'] == 3  # the schedule ran (1e-3 is the base rate)
    assert_same_weights(runner.model.state_dict(), straight['state_dict'])
    # the third step changed the weights (the comparison is not vacuous)
    with pytest.raises(AssertionError):
        assert_same_weights(checkpoint['state_dict'], straight['state_dict'])


def test_resume_flag_picks_latest_checkpoint(trained, data_root, repo_root,
                                             tmp_path):
    """A run stopped after iteration 2 (last_checkpoint -> iter_2.pth)
    continues with ``--resume`` and ends with the straight run's weights."""
    work_dir = copy_work_dir(trained[0], tmp_path / 'work', last='iter_2.pth')
    log = run_tool(repo_root, [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), '--resume', '--cfg-options'] +
        data_options(data_root, max_iters=3, interval=3,
                     checkpoint_interval=1))
    assert 'resumed' in log.lower()
    assert 'Iter(train) [3/3]' in log
    assert 'Iter(train) [2/3]' not in log
    assert_same_weights(load_state(work_dir / 'iter_3.pth')['state_dict'],
                        load_state(trained[0] / 'iter_3.pth')['state_dict'])


def test_test_tool_prints_and_writes_metrics(trained, data_root, repo_root,
                                             tmp_path):
    work_dir, _ = trained
    out = tmp_path / 'r.json'
    code, log = run_tool_in_process(repo_root, 'tools/test.py', [
        CONFIG, work_dir / 'iter_3.pth', '--out', out, '--work-dir',
        tmp_path / 'test_work', '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}/test'])
    assert code == 0, log[-4000:]
    record = json.loads(out.read_text())
    assert record['name'] == 'tiny_restorer'
    assert set(record['metrics']) == {'PSNR', 'SSIM'}
    assert 5 < record['metrics']['PSNR'] < 60
    assert 0 < record['metrics']['SSIM'] <= 1
    assert 'PSNR' in log and f"{record['metrics']['PSNR']:.4f}" in log


def test_amp_on_cpu_trains(data_root, repo_root, tmp_path):
    log = run_tool(repo_root, [
        sys.executable, 'tools/train.py', CONFIG, '--amp', '--channels-last',
        '--work-dir', str(tmp_path), '--cfg-options'] +
        data_options(data_root), env=CPU_ONLY_ENV)
    assert (tmp_path / 'iter_2.pth').is_file()
    dumped = Config.fromfile(str(tmp_path / 'tiny_restorer.py'))
    assert dumped.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    assert 'nan' not in log.split('Iter(train) [2/2]')[-1].split('\n')[0]


#: No random flip (each rank draws its own), so both runs see the same data.
NO_FLIP = ['train_dataloader.dataset.pipeline.3.flip_prob=0.0']


def test_dist_train_two_cpu_processes(data_root, repo_root, tmp_path):
    """tools/dist_train.sh on CPU (gloo) trains the model one process would:
    2 ranks × batch 1 give the weights of 1 rank × batch 2. The sampler
    deals one seeded permutation out rank by rank (rank r takes every
    second index from r), so iteration i sees the same two samples either
    way; the loss is a mean and DDP averages the ranks' gradients; the
    network has no batch statistics and no dropout."""
    dist_dir, single_dir = tmp_path / 'dist', tmp_path / 'single'
    log = run_tool(repo_root, [
        'env', f'PORT={free_port()}', 'bash', 'tools/dist_train.sh', CONFIG,
        '2', '--work-dir', str(dist_dir), '--cfg-options'] +
        data_options(data_root, batch_size=1) + NO_FLIP, timeout=300,
        env=CPU_ONLY_ENV)
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    for rank in (0, 1):
        assert f'rank {rank} of world size 2' in log
    run_tool(repo_root, [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(single_dir), '--cfg-options'] +
        data_options(data_root, batch_size=2) + NO_FLIP, env=CPU_ONLY_ENV)
    dist = load_state(dist_dir / 'iter_2.pth')
    single = load_state(single_dir / 'iter_2.pth')
    assert_same_weights(dist['state_dict'], single['state_dict'], atol=1e-5)


def test_dist_resume_restores_every_ranks_random_states(data_root,
                                                        repo_root, tmp_path):
    """tools/dist_train.sh, 2 CPU processes: 2 iterations + --resume + 1 ==
    3 straight iterations, weights, optimiser, scheduler and each rank's own
    random states (the ranks draw their own flips, so their states differ;
    only rank 0 writes the checkpoint, which holds both)."""
    from tests.tools.resume_check import resume_differences
    options = data_options(data_root, max_iters=3, interval=3, batch_size=1,
                           checkpoint_interval=1)
    straight, resumed = tmp_path / 'straight', tmp_path / 'resumed'
    launch = ['env', f'PORT={free_port()}', 'bash', 'tools/dist_train.sh',
              CONFIG, '2']
    run_tool(repo_root, launch + ['--work-dir', str(straight),
                                  '--cfg-options'] + options,
             timeout=300, env=CPU_ONLY_ENV)
    launch[1] = f'PORT={free_port()}'
    log = run_tool(repo_root, launch + [
        '--work-dir', str(resumed), '--resume', str(straight / 'iter_2.pth'),
        '--cfg-options'] + options, timeout=300, env=CPU_ONLY_ENV)
    assert 'resumed epoch: 0, iter: 2' in log
    a, b = load_state(straight / 'iter_3.pth'), load_state(
        resumed / 'iter_3.pth')
    assert resume_differences(a, b) == []
    ranks = a['resume_state']['ranks']
    assert len(ranks) == 2
    assert ranks[0]['random']['python'] != ranks[1]['random']['python']


def inductor_unusable_reason():
    """Why torch.compile's default (inductor) backend cannot run here, or
    ``None``: it needs a C++ compiler on CPU."""
    import shutil
    try:
        from torch._inductor import config as inductor_config
    except Exception as error:  # noqa: BLE001
        return f'torch._inductor does not import: {error}'
    cxx = inductor_config.cpp.cxx
    names = [c for c in (cxx if isinstance(cxx, tuple) else (cxx, )) if c]
    if not any(shutil.which(c) for c in names + ['g++', 'clang++']):
        return ('torch.compile on CPU needs a C++ compiler (inductor); none '
                'found')
    return None


@pytest.mark.skipif(inductor_unusable_reason() is not None,
                    reason=str(inductor_unusable_reason()))
def test_compiled_train_and_test_run(data_root, repo_root, tmp_path):
    """--compile: 2 compiled training iterations, then a compiled test."""
    log = run_tool(repo_root, [
        sys.executable, 'tools/train.py', CONFIG, '--compile',
        '--work-dir', str(tmp_path), '--cfg-options'] +
        data_options(data_root, max_iters=2, interval=10))
    assert 'compiled generator' in log
    assert (tmp_path / 'iter_2.pth').is_file()
    # Compiled in place: the checkpoint has the uncompiled keys.
    state = torch.load(tmp_path / 'iter_2.pth', weights_only=False)
    assert not any('_orig_mod' in k for k in state['state_dict'])
    log = run_tool(repo_root, [
        sys.executable, 'tools/test.py', CONFIG, str(tmp_path / 'iter_2.pth'),
        '--compile', '--work-dir', str(tmp_path / 'test'), '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}/test'])
    assert 'compiled generator' in log and 'PSNR' in log


@pytest.mark.parametrize('chosen_by', ['PYTHON', 'VIRTUAL_ENV'])
@pytest.mark.parametrize('script', ['dist_train.sh', 'dist_test.sh'])
def test_launch_scripts_run_the_callers_interpreter(
        script, chosen_by, repo_root, tmp_path):
    """With an unactivated environment, the ``python`` on PATH is another
    interpreter (here a stand-in that fails): the scripts run ``$PYTHON``,
    else the active virtual environment's. A missing config makes the tool
    itself answer, quickly, that it was the one that ran (torchrun then
    adds its own report of the failed child)."""
    fake = tmp_path / 'bin' / 'python'
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "the python on PATH ran"\nexit 3\n')
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f'{fake.parent}:{os.environ["PATH"]}',
               PORT=str(free_port()), CUDA_VISIBLE_DEVICES='')
    env.pop('PYTHON', None)
    env.pop('VIRTUAL_ENV', None)
    if chosen_by == 'PYTHON':
        env['PYTHON'] = sys.executable
    else:  # what `source VENV/bin/activate` sets
        env['VIRTUAL_ENV'] = str(tmp_path / 'venv')
        (tmp_path / 'venv' / 'bin').mkdir(parents=True)
        os.symlink(sys.executable, tmp_path / 'venv' / 'bin' / 'python')
    missing = str(tmp_path / 'missing.py')
    args = [missing, '1'] if script == 'dist_train.sh' else \
        [missing, str(tmp_path / 'missing.pth'), '1']
    result = subprocess.run(['bash', f'tools/{script}'] + args,
                            cwd=repo_root, env=env, capture_output=True,
                            text=True, timeout=120)
    log = result.stdout + result.stderr
    assert 'the python on PATH ran' not in log
    assert f'config file not found: {missing}' in log, log[-2000:]
