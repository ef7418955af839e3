"""tools/train.py, tools/test.py and tools/infer.py on the GAN configs.

Each config runs for 2 iterations on a tiny generated tree in the CycleGAN
layout (and, for the demo config, the demo data's layout)."""
import glob
import json
import os.path as osp
import re
import subprocess
import sys

import cv2
import pytest
import torch
from mmengine.config import Config

from tests.helpers import (CPU_ONLY_ENV, free_port, run_tool_in_process,
                           write_image_folder, write_paired_folder,
                           write_unpaired_tree)
from tests.tools.resume_check import (changed_tensors, resume_differences,
                                      train_straight_and_resumed)
from tests.tools.test_train_test_tools import run_tool

CYCLEGAN_CONFIGS = sorted(glob.glob('configs/cyclegan/*.py'))
#: The demo data's unpaired rain set, under a test's data root.
DEMO_ROOT = 'demo/unpaired/rain'


@pytest.fixture(scope='module')
def gan_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('gan_data')
    write_unpaired_tree(root / 'unpaired', count=2, size=40)
    # The demo layout (data/demo/unpaired/rain): train/{rainy,clean}
    # unpaired, test/{input,target} held-out pairs.
    demo = root / 'demo' / 'unpaired' / 'rain'
    write_image_folder(demo / 'train' / 'rainy', 3, 72, seed=3)
    write_image_folder(demo / 'train' / 'clean', 3, 72, seed=4)
    # NIQE (the demo's no-reference scores) needs 96×96 pixels.
    write_paired_folder(demo / 'test', count=2, size=96, seed=5)
    return root


def demo_options(root, max_iters=2, interval=2):
    return [
        f'train_dataloader.dataset.data_root={root}/{DEMO_ROOT}/train',
        f'val_dataloader.dataset.data_root={root}/{DEMO_ROOT}/test',
        f'test_dataloader.0.dataset.data_root={root}/{DEMO_ROOT}/test',
        f'test_dataloader.1.dataset.data_root={root}/{DEMO_ROOT}/test',
        f'train_cfg.max_iters={max_iters}',
        f'train_cfg.val_interval={interval}',
        f'default_hooks.checkpoint.interval={interval}',
        'default_hooks.logger.interval=1',
        f'param_scheduler.0.begin={max_iters // 2}',
        f'param_scheduler.0.end={max_iters}',
    ]


def unpaired_options(root):
    # Two images per domain, batch 1: one epoch is 2 iterations. The
    # networks are the official ones; the load/crop sizes (286/256) are
    # cut to 72/64 to keep the test fast.
    return [
        'train_dataloader.dataset.pipeline.2.size=72',
        'train_dataloader.dataset.pipeline.3.crop_size=64',
        'train_dataloader.dataset.pipeline.4.crop_size=64',
        f'train_dataloader.dataset.data_root={root}/unpaired',
        f'test_dataloader.dataset.data_root={root}/unpaired',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=1', 'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1',
    ]


def options_for(config, root):
    return demo_options(root) if config.endswith('_demo.py') else \
        unpaired_options(root)


def test_every_cyclegan_config_is_covered():
    assert {osp.basename(c) for c in CYCLEGAN_CONFIGS} >= {
        'cyclegan_demo.py', 'cyclegan_resnet9_unpaired.py'}


@pytest.mark.parametrize('config', CYCLEGAN_CONFIGS)
def test_cyclegan_config_trains_two_iterations(config, gan_data, repo_root,
                                               tmp_path):
    code, log = run_tool_in_process(repo_root, 'tools/train.py', [
        config, '--work-dir', tmp_path, '--cfg-options'] +
        options_for(config, gan_data))
    assert code == 0, log[-4000:]
    checkpoints = glob.glob(str(tmp_path / '*_*.pth'))
    assert checkpoints, log[-2000:]
    state = torch.load(checkpoints[0], map_location='cpu',
                       weights_only=False)
    assert set(state['optimizer']) == {'generators', 'discriminators'}
    for name in ('generator_a2b', 'generator_b2a', 'discriminator_a',
                 'discriminator_b'):
        assert any(k.startswith(name + '.') for k in state['state_dict'])
    assert 'loss_cycle' in log and 'loss_disc_a' in log
    if config.endswith('_demo.py'):
        # The validation grid (ValImageGridHook) of the GAN's predictions:
        # the 2 paired test images, input | output | target at 48×48.
        grids = glob.glob(str(tmp_path / '*' / 'vis_data' / 'vis_image' /
                              'val_2.png'))
        assert len(grids) == 1, log[-2000:]
        assert cv2.imread(grids[0]).shape == (2 * 96, 3 * 96, 3)


def test_amp_on_cpu_trains_a_gan(gan_data, repo_root, tmp_path):
    config = 'configs/cyclegan/cyclegan_demo.py'
    log = run_tool(repo_root, [
        sys.executable, 'tools/train.py', config, '--amp', '--work-dir',
        str(tmp_path), '--cfg-options'] + demo_options(gan_data),
        env=CPU_ONLY_ENV)
    dumped = Config.fromfile(str(tmp_path / 'cyclegan_demo.py'))
    for name in ('generators', 'discriminators'):
        assert dumped.optim_wrapper[name].type == 'MixedPrecisionOptimWrapper'
    # Where --amp trains in bfloat16 it brings channels_last along.
    from toolbox.engine.optim_wrapper import cpu_amp_dtype
    bf16 = cpu_amp_dtype() is torch.bfloat16
    assert dumped.model.data_preprocessor.get('channels_last', False) == bf16
    assert ('channels_last too' in log) == bf16
    last = log.split('Iter(train) [2/2]')[-1].split('\n')[0]
    assert 'loss_cycle' in last and 'nan' not in last


def test_amp_stays_float32_where_bfloat16_was_measured_slower(
        gan_data, repo_root, tmp_path, monkeypatch):
    """A 1×32² CycleGAN step measured slower in bfloat16 than in float32
    (toolbox.app.amp_choice): on a CPU with native bfloat16, --amp says
    so and keeps the float32 wrappers and NCHW."""
    from toolbox.engine import optim_wrapper
    monkeypatch.setattr(optim_wrapper, 'cpu_capability', lambda: 'AVX512')
    monkeypatch.setattr(optim_wrapper, 'cpu_flags',
                        lambda: frozenset({'avx512f', 'avx512_bf16'}))
    monkeypatch.setattr(optim_wrapper, 'accelerator_available',
                        lambda: False)
    config = 'configs/cyclegan/cyclegan_demo.py'
    code, log = run_tool_in_process(repo_root, 'tools/train.py', [
        config, '--amp', '--work-dir', tmp_path, '--cfg-options',
        *demo_options(gan_data),
        'train_dataloader.dataset.pipeline.2.crop_size=32',
        'train_dataloader.dataset.pipeline.3.crop_size=32'])
    assert code == 0, log[-3000:]
    assert 'float32: bfloat16 measured slower than float32 for ' \
        'CycleGAN/ResnetGenerator at 1×32²' in log
    dumped = Config.fromfile(str(tmp_path / 'cyclegan_demo.py'))
    for name in ('generators', 'discriminators'):
        assert dumped.optim_wrapper[name].get('type', 'OptimWrapper') == \
            'OptimWrapper'
    assert not dumped.model.data_preprocessor.get('channels_last', False)


def test_gan_resume_is_exact(gan_data, repo_root, tmp_path):
    """2 iterations + resume + 2 == 4 straight iterations, bit for bit:
    weights, every optimiser and scheduler, the random states and the image
    pools. A pool of one image is full after the first iteration, so later
    queries swap with p = ½ (drawn from PyTorch's generator) and hand out
    the stored image: without the pools and the random states in the
    checkpoint, the resumed discriminators saw other images."""
    config = 'configs/cyclegan/cyclegan_demo.py'
    opts = demo_options(gan_data, max_iters=4, interval=2) + [
        'model.pool_size=1']
    at_2, a, b = train_straight_and_resumed(repo_root, config, opts,
                                            tmp_path, last=4, resume_at=2)
    assert resume_differences(a, b) == []
    assert changed_tensors(at_2, a)
    pools = a['resume_state']['ranks'][0]['objects']
    assert set(pools) == {'pool_a', 'pool_b'}
    assert all(len(pool['images']) == 1 for pool in pools.values())
    for name in ('generators', 'discriminators'):
        assert len(a['param_schedulers'][name]) == 1
    # The decay has started: the rate at iteration 4 is below the base.
    assert a['optimizer']['generators']['param_groups'][0]['lr'] < 2e-4


def linear_decay_options(root, max_iters):
    """The demo's LinearLR over the whole run (begin 0): the rate falls
    from the first iteration to 0 at ``max_iters``; a checkpoint every 2
    iterations, no validation."""
    return [o for o in demo_options(root, max_iters, interval=2)
            if not o.startswith(('param_scheduler.0.begin',
                                 'train_cfg.val_interval'))] + [
        'param_scheduler.0.begin=0', 'train_cfg.val_interval=100']


def logged_rates(log, optimiser):
    """``{iteration: learning rate}`` of an optimiser, from the train log."""
    return {int(i): float(lr) for i, lr in re.findall(
        rf'Iter\(train\) \[(\d+)/\d+\][^\n]* {optimiser}\.lr: (\S+)', log)}


def test_gan_resume_with_a_longer_linear_decay(gan_data, repo_root,
                                               tmp_path):
    """Issue 28, defect 3: a run whose LinearLR decays to 0 at iteration 4,
    resumed at 2 with max_iters and end 8, decays linearly from its rate at
    2 to 0 at 8 (before: total_iters kept 3, the rate reached 0 at 3, then
    ZeroDivisionError, exit 1). Resumed at 4, where the rate is 0, a
    multiplying scheduler cannot rise again: exit 2, saying what to do."""
    config = 'configs/cyclegan/cyclegan_demo.py'
    first, longer = tmp_path / 'first', tmp_path / 'longer'
    code, log = run_tool_in_process(repo_root, 'tools/train.py', [
        config, '--work-dir', first, '--cfg-options'] +
        linear_decay_options(gan_data, 4))
    assert code == 0, log[-3000:]
    code, log = run_tool_in_process(repo_root, 'tools/train.py', [
        config, '--work-dir', longer, '--resume', first / 'iter_2.pth',
        '--cfg-options'] + linear_decay_options(gan_data, 8))
    assert code == 0, log[-3000:]
    assert 'total_iters 3 in the checkpoint, 7 in the config' in log
    start = torch.load(first / 'iter_2.pth', weights_only=False)[
        'optimizer']['generators']['param_groups'][0]['lr']
    assert start == pytest.approx(2e-4 / 3)
    for optimiser in ('generators', 'discriminators'):
        rates = logged_rates(log, optimiser)
        assert sorted(rates) == list(range(3, 9)), log[-3000:]
        for i, rate in rates.items():
            assert rate == pytest.approx(start * (8 - i) / 5, rel=1e-3,
                                         abs=1e-12), (optimiser, i)
    end = torch.load(longer / 'iter_8.pth', weights_only=False)
    assert end['meta']['iter'] == 8
    assert end['optimizer']['discriminators']['param_groups'][0]['lr'] == 0
    # From iteration 4, where the first run's rate reached 0.
    refused = tmp_path / 'refused'
    code, log = run_tool_in_process(repo_root, 'tools/train.py', [
        config, '--work-dir', refused, '--resume', first / 'iter_4.pth',
        '--cfg-options'] + linear_decay_options(gan_data, 8))
    assert code == 2, log[-3000:]
    assert (
        "tools/train.py: error: --resume at iteration 4: the config's "
        "schedule cannot go on from the checkpoint's state: "
        'param_scheduler.generators.0 (LinearLR), '
        'param_scheduler.discriminators.0 (LinearLR): the learning rate is 0'
        ) in log, log[-3000:]
    assert 'cannot rise again' in log
    assert (f'--cfg-options load_from={first / "iter_4.pth"}, without '
            '--resume') in log
    assert 'Traceback' not in log
    assert not list(refused.glob('*.pth'))


def test_test_tool_scores_the_demo_gan(gan_data, repo_root, tmp_path):
    config = 'configs/cyclegan/cyclegan_demo.py'
    code, log = run_tool_in_process(repo_root, 'tools/train.py', [
        config, '--work-dir', tmp_path, '--cfg-options',
        *demo_options(gan_data)])
    assert code == 0, log[-4000:]
    code, log = run_tool_in_process(repo_root, 'tools/test.py', [
        config, tmp_path / 'iter_2.pth', '--out', tmp_path / 'r.json',
        '--cfg-options', *demo_options(gan_data)])
    assert code == 0, log[-4000:]
    assert 'demo_rain_heldout/PSNR' in log and \
        'demo_rain_heldout/dRGB' in log and \
        'demo_rain_heldout_noref/BRISQUE' in log
    assert (tmp_path / 'r.json').is_file()


def official_generator_file(path, seed=0):
    """A raw generator state dict as the official code saves it
    (``latest_net_G_A.pth``), for the demo config's generator, with the
    instance-norm statistics old releases carry."""
    from mmengine.registry import DefaultScope

    from toolbox.registry import MODELS
    cfg = Config.fromfile('configs/cyclegan/cyclegan_demo.py')
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('toolbox'):
        generator = MODELS.build(cfg.model.generator)
    generator.init_weights()
    state = dict(generator.state_dict())
    state['model.2.running_mean'] = torch.zeros(32)  # pre-0.4 leftovers
    state['model.2.running_var'] = torch.ones(32)
    torch.save(state, path)
    return generator.eval()


def test_infer_runs_an_official_generator_file(repo_root, tmp_path):
    import cv2
    import numpy as np

    from toolbox.apis import init_model, restore_image
    generator = official_generator_file(tmp_path / 'latest_net_G_A.pth')
    image = write_image_folder(tmp_path / 'in', 1, 40, seed=7) / '000.png'
    code, log = run_tool_in_process(repo_root, 'tools/infer.py', [
        'configs/cyclegan/cyclegan_demo.py', '--checkpoint',
        tmp_path / 'latest_net_G_A.pth', '--input', image, '--output',
        tmp_path / 'out.png'])
    assert code == 0, log[-4000:]
    rgb = cv2.imread(str(image))[..., ::-1]
    x = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float()
    with torch.no_grad():
        expected = (generator(x / 127.5 - 1) + 1) * 127.5
    expected = expected[0].clamp(0, 255).round().byte().permute(1, 2, 0)
    written = cv2.imread(str(tmp_path / 'out.png'))[..., ::-1]
    assert np.abs(written.astype(int) - expected.numpy()).max() <= 1
    # The same file as G_B: it loads into generator_b2a and only there.
    model = init_model('configs/cyclegan/cyclegan_demo.py',
                       str(tmp_path / 'latest_net_G_A.pth'),
                       cfg_options={'model.test_cfg.direction': 'b2a'})
    for a, b in zip(model.generator_b2a.parameters(),
                    generator.parameters()):
        assert torch.equal(a, b)
    assert not torch.equal(next(model.generator_a2b.parameters()),
                           next(generator.parameters()))
    assert np.abs(restore_image(model, rgb).astype(int) -
                  expected.numpy()).max() <= 1


def test_gan_trains_with_two_cpu_processes(gan_data, repo_root, tmp_path):
    """tools/dist_train.sh on CPU (gloo): every network in its own DDP
    wrapper (MMSeparateDistributedDataParallel), both phases reduce."""
    log = run_tool(repo_root, [
        'env', f'PORT={free_port()}', 'bash', 'tools/dist_train.sh',
        'configs/cyclegan/cyclegan_demo.py', '2', '--work-dir',
        str(tmp_path), '--cfg-options'] + demo_options(gan_data),
        timeout=400, env=CPU_ONLY_ENV)
    assert 'Distributed training: True' in log
    for rank in (0, 1):
        assert f'rank {rank} of world size 2' in log
    dumped = Config.fromfile(str(tmp_path / 'cyclegan_demo.py'))
    assert dumped.model_wrapper_cfg.type == \
        'MMSeparateDistributedDataParallel'
    state = torch.load(tmp_path / 'iter_2.pth', map_location='cpu',
                       weights_only=False)
    assert set(state['optimizer']) == {'generators', 'discriminators'}
    # Only rank 0 writes validation grids: one file, of rank 0's share of
    # the 2 validation images (one each).
    grids = glob.glob(str(tmp_path / '*' / 'vis_data' / 'vis_image' /
                          '*.png'))
    assert [osp.basename(g) for g in grids] == ['val_2.png'], log[-2000:]
    assert cv2.imread(grids[0]).shape == (96, 3 * 96, 3)


#: A test hook, loaded through custom_imports: the domain-B image of every
#: training sample of this rank, in refs_rank<r>.json in the work dir.
REF_PROBE = """
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from toolbox.registry import HOOKS


@HOOKS.register_module()
class RefProbeHook(Hook):

    def __init__(self):
        self.refs = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.refs += [osp.basename(sample.ref_path)
                      for sample in data_batch['data_samples']]

    def after_train(self, runner):
        path = osp.join(runner.work_dir, f'refs_rank{get_rank()}.json')
        with open(path, 'w') as f:
            json.dump(self.refs, f)
"""


def test_dist_train_ranks_draw_their_own_domain_b_images(repo_root,
                                                         tmp_path):
    """tools/dist_train.sh, 2 CPU processes, num_workers=0 (the demo's): the
    ranks draw different domain-B images (issue 28: MMEngine seeds Python's
    generator alike on every rank, and each rank drew the same image at
    every step). 8 candidates, 4 steps: equal draws by chance would have
    probability 8^-4. Each rank's random states reach the checkpoint."""
    data = tmp_path / 'data'
    write_image_folder(data / 'rainy', 4, 40, seed=3)
    write_image_folder(data / 'clean', 8, 40, seed=4)
    write_paired_folder(data / 'test', count=1, size=32, seed=5)
    (tmp_path / 'refprobe.py').write_text(REF_PROBE)
    config = tmp_path / 'probe.py'
    config.write_text(
        f"_base_ = ['{repo_root}/configs/cyclegan/cyclegan_demo.py']\n"
        "custom_imports = dict(imports=['refprobe'], "
        "allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='RefProbeHook')]\n")
    work_dir = tmp_path / 'work'
    options = [
        f'train_dataloader.dataset.data_root={data}',
        f'val_dataloader.dataset.data_root={data}/test',
        f'test_dataloader.0.dataset.data_root={data}/test',
        f'test_dataloader.1.dataset.data_root={data}/test',
        'train_dataloader.dataset.pipeline.2.crop_size=32',
        'train_dataloader.dataset.pipeline.3.crop_size=32',
        'model.generator.base_channels=4', 'model.generator.num_blocks=1',
        'model.discriminator.base_channels=4',
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4',
        'param_scheduler.0.begin=2', 'param_scheduler.0.end=4',
    ]
    run_tool(repo_root, [
        'env', f'PORT={free_port()}', 'bash', 'tools/dist_train.sh',
        str(config), '2', '--work-dir', str(work_dir), '--cfg-options'] +
        options, timeout=300,
        env=dict(CPU_ONLY_ENV, PYTHONPATH=str(tmp_path)))
    refs = [json.loads((work_dir / f'refs_rank{r}.json').read_text())
            for r in (0, 1)]
    assert len(refs[0]) == len(refs[1]) == 4
    assert refs[0] != refs[1]
    saved = torch.load(work_dir / 'iter_4.pth', map_location='cpu',
                       weights_only=False)['resume_state']
    assert saved['world_size'] == 2
    python = [rank['random']['python'] for rank in saved['ranks']]
    assert python[0] != python[1]


def test_parity_script_names_a_missing_official_checkout(repo_root, tmp_path):
    """tools/parity/gan_step_vs_official.py imports the user's checkout of
    the official code; a wrong path is one line and exit 2 (the comparison
    itself needs that checkout: docs/models/cyclegan.md)."""
    missing = tmp_path / 'no-checkout'
    result = subprocess.run(
        [sys.executable, 'tools/parity/gan_step_vs_official.py', '--method',
         'cyclegan', '--official', str(missing)], cwd=repo_root,
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f'--official {missing}: no such directory' in result.stderr
    assert 'Traceback' not in result.stderr
