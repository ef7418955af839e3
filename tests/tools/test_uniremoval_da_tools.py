"""tools/train.py on every Uni-Removal domain-adaptation config, 2
iterations on a tiny generated tree, starting from a KT checkpoint."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from tests.helpers import run_tool_in_process, write_image_folder
from tests.tools.resume_check import (changed_tensors, resume_differences,
                                      train_straight_and_resumed)

DA_CONFIGS = sorted(glob.glob('configs/uniremoval/da_*.py'))
LABELS = ('haze', 'rain', 'blur')


def kt_checkpoint(path, net_cfg):
    """A KT-stage checkpoint: the student's weights under 'generator.'."""
    from mmengine.registry import DefaultScope

    from toolbox.registry import MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('toolbox'):
        student = MODELS.build(net_cfg)
    torch.save({'state_dict': {f'generator.{k}': v for k, v in
                               student.state_dict().items()}}, path)
    return path


@pytest.fixture(scope='module')
def da_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('da_data')
    # The paper configs read real/<label> and real/clear; the demo configs
    # data/demo/real_like/adapt/<label> and .../clear (data_root below).
    for seed, name in enumerate(LABELS + ('clear', )):
        write_image_folder(root / 'real' / name, 2, 72, seed=seed)
        write_image_folder(root / 'demo' / name, 2, 72, seed=seed)
    return root


def options(config, root, tmp_path):
    cfg = Config.fromfile(config)
    demo = config.endswith('_demo.py')
    checkpoint = kt_checkpoint(tmp_path / 'kt.pth', cfg.model.generator)
    opts = [f'model.student_checkpoint={checkpoint}',
            'train_dataloader.batch_size=3',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False',
            'default_hooks.logger.interval=1']
    if cfg.model.image_loss is not None:  # offline: a random VGG
        opts.append('model.image_loss.embedding.pretrained=None')
    for i, label in enumerate(LABELS):
        key = f'train_dataloader.dataset.datasets.{i}'
        # Small crops keep the paper configs' full-width students fast.
        crop = 64 if demo else 32
        opts += [f'{key}.data_root={root}/{"demo" if demo else "real"}',
                 f'{key}.pipeline.2.crop_size={crop}',
                 f'{key}.pipeline.3.crop_size={crop}']
    if demo:
        opts += ['train_cfg.max_iters=2',
                 'default_hooks.checkpoint.interval=2']
    else:
        opts += ['train_cfg.max_epochs=1',
                 'default_hooks.checkpoint.interval=1']
    return opts


def test_every_da_config_is_covered():
    assert {osp.basename(c) for c in DA_CONFIGS} >= {
        'da_mprnet.py', 'da_mprnet_bda.py', 'da_mprnet_bda_eicl.py',
        'da_mprnet_demo.py'}


@pytest.mark.parametrize('config', DA_CONFIGS)
def test_da_config_trains_two_iterations(config, da_data, repo_root,
                                         tmp_path):
    amp = ['--amp'] if config.endswith('_demo.py') else []
    code, log = run_tool_in_process(repo_root, 'tools/train.py', [
        config, '--work-dir', tmp_path / 'work', *amp, '--cfg-options'] +
        options(config, da_data, tmp_path))
    assert code == 0, log[-4000:]
    assert 'UniRemovalDA: student loaded from' in log
    checkpoints = glob.glob(str(tmp_path / 'work' / '*_*.pth'))
    assert checkpoints, log[-2000:]
    state = torch.load(checkpoints[0], map_location='cpu',
                       weights_only=False)
    assert set(state['optimizer']) == {'generators', 'discriminators'}
    cfg = Config.fromfile(config)
    last = [line for line in log.splitlines() if '[2/2]' in line][0]
    assert 'loss_gan' in last and 'loss_identity' in last
    assert ('loss_efcl' in last) == (cfg.model.feature_loss is not None)
    assert ('loss_eicl' in last) == (cfg.model.image_loss is not None)
    assert 'nan' not in last
    if amp:
        dumped = Config.fromfile(
            str(tmp_path / 'work' / osp.basename(config)))
        assert dumped.optim_wrapper.generators.type == \
            'MixedPrecisionOptimWrapper'


def test_da_resume_is_exact(da_data, repo_root, tmp_path):
    """The DA demo, 2 iterations + --resume + 1 == 3 straight iterations,
    bit for bit: weights, both optimisers and schedulers, the random states
    and the image pool of restored images (one image, so it swaps from the
    second iteration on, with PyTorch's generator). The resumed run is not
    given the KT student file (a path that does not exist): the checkpoint
    holds the student (it was demanded, and loaded to be overwritten)."""
    config = 'configs/uniremoval/da_mprnet_demo.py'
    opts = [o for o in options(config, da_data, tmp_path)
            if not o.startswith(('train_cfg.', 'default_hooks.checkpoint'))]
    opts += ['train_cfg.max_iters=3', 'default_hooks.checkpoint.interval=1',
             'default_hooks.checkpoint.max_keep_ckpts=3', 'model.pool_size=1']
    at_2, straight, resumed = train_straight_and_resumed(
        repo_root, config, opts, tmp_path, last=3, resume_at=2, timeout=600,
        resume_options=[f'model.student_checkpoint={tmp_path}/gone.pth'])
    assert resume_differences(straight, resumed) == []
    assert changed_tensors(at_2, straight)
    pool = straight['resume_state']['ranks'][0]['objects']['pool']
    assert len(pool['images']) == 1
