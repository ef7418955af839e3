"""Two-iteration runs of every configs/uniremoval/kt_* config on a fake tree.

Each config runs as written except for size: a tiny MPRNet for student and
teachers (teacher checkpoints written to tmp work dirs), a one-layer random
VGG, 16-pixel crops, and data in tmp_path in the layout the config reads.
"""
import glob
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tests.helpers import write_paired_folder
from toolbox.registry import MODELS

TINY = dict(type='MPRNet', variant=None, n_feat=4, scale_unetfeats=2,
            scale_orsnetfeats=2, num_cab=1)
# kt_mprnet_swapped_weights.py is kt_mprnet.py with two other loss weights
# (test_uniremoval_paper_config.py checks that): no run of its own.
CONFIGS = sorted(
    path for path in glob.glob(osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
        'configs', 'uniremoval', 'kt_*.py'))
    if osp.basename(path) != 'kt_mprnet_swapped_weights.py')


def write_pairs(img_dir, gt_dir, names, seed):
    """PNG pairs named as the benchmark layouts name them."""
    import cv2
    import numpy as np
    from tests.helpers import smooth_image
    rng = np.random.default_rng(seed)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(gt_dir, exist_ok=True)
    for img_name, gt_name in names:
        clean = smooth_image(rng, 24)
        cv2.imwrite(osp.join(gt_dir, gt_name), clean)
        cv2.imwrite(osp.join(img_dir, img_name), 255 - clean)


def fake_benchmarks(root):
    """RESIDE OTS/SOTS, Rain1400 and GoPro layouts, two pairs each."""
    write_pairs(f'{root}/RESIDE/OTS/hazy', f'{root}/RESIDE/OTS/clear',
                [('0001_0.8_0.1.png', '0001.png'),
                 ('0002_0.9_0.2.png', '0002.png')], 0)
    write_pairs(f'{root}/RESIDE/SOTS/outdoor/hazy',
                f'{root}/RESIDE/SOTS/outdoor/gt',
                [('0003_0.8_0.2.png', '0003.png')], 1)
    for split, seed in (('train', 2), ('test', 3)):
        write_pairs(f'{root}/Rain1400/{split}/rainy_image',
                    f'{root}/Rain1400/{split}/ground_truth',
                    [('901_1.png', '901.png'), ('901_2.png', '901.png')],
                    seed)
        write_pairs(f'{root}/GoPro/{split}/SCENE_0/blur',
                    f'{root}/GoPro/{split}/SCENE_0/sharp',
                    [('000001.png', '000001.png'),
                     ('000002.png', '000002.png')], seed + 10)


def fake_demo(root):
    for i, task in enumerate(('haze', 'rain', 'blur')):
        write_paired_folder(f'{root}/demo/{task}/train', count=2, size=24,
                            seed=i)
        write_paired_folder(f'{root}/demo/{task}/test', count=1, size=24,
                            seed=i + 5)


def tiny_teacher_dir(root, label, seed):
    """A teacher work dir as tools/train.py leaves it (last_checkpoint)."""
    torch.manual_seed(seed)
    net = MODELS.build(TINY)
    work_dir = osp.join(root, f'teacher_{label}')
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, 'iter_1.pth')
    torch.save({'state_dict': {f'generator.{k}': v
                               for k, v in net.state_dict().items()}}, path)
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(path)
    return work_dir


def replace_data_root(node, old, new):
    """Point every data_root under ``node`` into the fake tree; 16-px crops.
    """
    if isinstance(node, dict):
        if isinstance(node.get('data_root'), str):
            node['data_root'] = node['data_root'].replace(old, new, 1)
        if node.get('type') == 'PairedRandomCrop':
            node['crop_size'] = 16
        for key in ('num_workers', ):
            if key in node:
                node[key] = 0
        if 'persistent_workers' in node:
            node['persistent_workers'] = False
        for value in node.values():
            replace_data_root(value, old, new)
    elif isinstance(node, (list, tuple)):
        for value in node:
            replace_data_root(value, old, new)


class MetricProbe(Hook):
    """Keeps the last validation metrics."""

    def __init__(self):
        self.metrics = None

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = metrics


pytestmark = pytest.mark.usefixtures('unformatted_config_dumps',
                                     'frozen_heap')


@pytest.fixture(scope='module')
def fake_tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('uniremoval_data'))
    fake_benchmarks(root)
    fake_demo(root)
    teachers = {label: tiny_teacher_dir(root, label, seed)
                for seed, label in enumerate(('haze', 'rain', 'blur'))}
    return root, teachers


def test_all_kt_configs_are_covered():
    names = {osp.basename(c) for c in CONFIGS}
    assert {'kt_mprnet.py', 'kt_mprnet_bkt.py', 'kt_mprnet_icl.py',
            'kt_mprnet_demo.py', 'kt_mprnet_bkt_demo.py',
            'kt_mprnet_icl_demo.py'} <= names


@pytest.mark.parametrize('config', CONFIGS, ids=osp.basename)
def test_kt_config_trains_two_iterations(config, fake_tree, tmp_path,
                                         repo_root, monkeypatch):
    root, teachers = fake_tree
    monkeypatch.chdir(repo_root)
    cfg = Config.fromfile(config)
    demo = 'demo' in osp.basename(config)
    replace_data_root(cfg._cfg_dict, 'data/', f'{root}/')
    model = cfg.model
    model.student = TINY
    for label, teacher in model.teachers.items():
        teacher.model = TINY
        teacher.checkpoint = teachers[label]
    if model.image_loss is not None:
        model.image_loss.embedding.pretrained = None
        model.image_loss.embedding.layers = ('relu1_1', )
        model.image_loss.layer_weights = (1.0, )
    cfg.train_dataloader.batch_size = 3
    if demo:
        cfg.train_cfg.max_iters = 2
        cfg.train_cfg.val_interval = 2
    else:  # 6 training pairs, batch 3: one epoch is two iterations
        cfg.train_cfg.max_epochs = 1
        cfg.train_cfg.val_interval = 1
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    probe = MetricProbe()
    runner.register_hook(probe)
    runner.train()
    assert runner.iter == 2
    hub = runner.message_hub
    loss_keys = {k for k in hub.log_scalars if k.startswith('train/loss_')}
    expected = {'train/loss_pixel'}
    if model.feature_loss is not None:
        expected.add('train/loss_fcl')
    if model.image_loss is not None:
        expected.add('train/loss_icl')
    assert loss_keys == expected
    for key in expected:
        assert torch.isfinite(torch.tensor(hub.get_scalar(key).current()))
    sets = ['demo_haze', 'demo_rain', 'demo_blur'] if demo else \
        ['sots', 'rain1400', 'gopro']
    assert sorted(probe.metrics) == sorted(
        f'{s}/{m}' for s in sets for m in ('PSNR', 'SSIM'))
    # the teachers were loaded from their work dirs and stay out of the
    # saved checkpoint
    saved = torch.load(glob.glob(f'{tmp_path}/*.pth')[0], weights_only=False)
    assert not any('teacher' in k for k in saved['state_dict'])
    student = runner.model.teachers['rain'].state_dict()
    reference = torch.load(f'{teachers["rain"]}/iter_1.pth')['state_dict']
    assert all(torch.equal(v, reference[f'generator.{k}'])
               for k, v in student.items())
