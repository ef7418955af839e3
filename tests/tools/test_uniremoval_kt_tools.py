"""tools/train.py on Uni-Removal's knowledge-transfer demo config, on a tiny
generated tree, with tiny teacher checkpoints of the demo network."""
import torch
from mmengine.config import Config

from tests.helpers import write_paired_folder
from tests.tools.resume_check import (changed_tensors, resume_differences,
                                      train_straight_and_resumed)

CONFIG = 'configs/uniremoval/kt_mprnet_demo.py'
LABELS = ('haze', 'rain', 'blur')
#: Half the demo network's widths (keeps the test short).
NARROW = dict(n_feat=8, scale_unetfeats=4, scale_orsnetfeats=4)


def teacher_checkpoint(path, net_cfg, seed):
    """A teacher's training checkpoint: its weights under 'generator.'."""
    from mmengine.registry import DefaultScope

    from toolbox.registry import MODELS
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('toolbox'):
        net = MODELS.build(net_cfg)
    torch.save({'state_dict': {f'generator.{k}': v
                               for k, v in net.state_dict().items()}}, path)
    return path


def kt_demo_options(root, repo_root):
    """The demo config on ``root``: 2 pairs per degradation to train on, 1
    to validate on, 32-pixel crops, batch 3 (one of each degradation), and
    a narrower MPRNet for the student and the teachers."""
    cfg = Config.fromfile(f'{repo_root}/{CONFIG}')
    opts = ['train_dataloader.batch_size=3', 'default_hooks.logger.interval=1']
    net = dict(cfg.model.student, **NARROW)
    opts += [f'model.student.{key}={value}' for key, value in NARROW.items()]
    for i, label in enumerate(LABELS):
        write_paired_folder(root / label / 'train', count=2, size=40, seed=i)
        write_paired_folder(root / label / 'test', count=1, size=32,
                            seed=i + 5)
        checkpoint = teacher_checkpoint(root / f'teacher_{label}.pth',
                                        dict(net, init_cfg=None), i)
        opts += [f'model.teachers.{label}.model.{key}={value}'
                 for key, value in NARROW.items()]
        dataset = f'train_dataloader.dataset.datasets.{i}'
        opts += [f'{dataset}.data_root={root}/{label}/train',
                 f'{dataset}.pipeline.2.crop_size=32',
                 f'val_dataloader.{i}.dataset.data_root={root}/{label}/test',
                 f'test_dataloader.{i}.dataset.data_root={root}/{label}/test',
                 f'model.teachers.{label}.checkpoint={checkpoint}']
    return opts


def test_kt_resume_is_exact(repo_root, tmp_path):
    """2 iterations + --resume + 1 == 3 straight iterations, bit for bit:
    the student's weights, its optimiser and both schedulers, and the
    random states on which a 4th iteration would draw its crops and flips.
    The KT model draws nothing at random itself, so its weights resumed
    exactly before the random states were saved (the data replay restores
    the data's draws); the straight run's validation after iteration 2
    moved PyTorch's generator, which the resumed run did not see."""
    opts = kt_demo_options(tmp_path / 'data', repo_root) + [
        'train_cfg.max_iters=3', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=3']
    at_2, straight, resumed = train_straight_and_resumed(
        repo_root, CONFIG, opts, tmp_path, last=3, resume_at=2, timeout=600)
    assert resume_differences(straight, resumed) == []
    assert changed_tensors(at_2, straight)
    assert set(straight['resume_state']['ranks'][0]['random']) >= {
        'python', 'numpy', 'torch'}
