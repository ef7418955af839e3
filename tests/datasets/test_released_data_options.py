"""The released CUT/DCD-GAN data behaviours as options (issue 31 item 3):
images resized to the crop size once the learning rate decays
(``Resize(late_size=, late_from_epoch=)``, driven by ``DatasetEpochHook``)
and an epoch of max(|A|, |B|) samples (``UnpairedImageDataset(length=
'max')``); on in the released config, off in the paper's."""
import glob
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch.utils.data import DataLoader

from tests.helpers import write_image_folder
from toolbox.datasets import UnpairedImageDataset
from toolbox.datasets.transforms import Resize
from toolbox.engine.dataset_epoch import DatasetEpochHook
from toolbox.user_errors import UserError

RELEASED = 'configs/dcdgan/dcdgan_released_rain800.py'


def unpaired_tree(root, num_a=2, num_b=2, size=24):
    write_image_folder(root / 'trainA', num_a, size, seed=1)
    write_image_folder(root / 'trainB', num_b, size, seed=2)
    return root


def test_resize_switches_size_at_the_late_epoch():
    resize = Resize(size=24, late_size=16, late_from_epoch=3)
    image = np.zeros((40, 30, 3), np.uint8)
    for epoch, size in ((0, 24), (2, 24), (3, 16), (7, 16)):
        out = resize(dict(img=image, epoch=epoch))['img']
        assert out.shape == (size, size, 3), epoch
    # Without an epoch the switch cannot be made: an error, not the early
    # size for ever.
    with pytest.raises(UserError, match="DatasetEpochHook"):
        resize(dict(img=image, epoch=None, img_path='a.png'))
    assert Resize(size=24)(dict(img=image))['img'].shape == (24, 24, 3)
    with pytest.raises(ValueError, match='together'):
        Resize(size=24, late_size=16)


def test_the_epoch_reaches_persistent_workers(tmp_path):
    """A persistent worker keeps its copy of the dataset across epochs;
    the epoch set in the main process (by the hook) must still reach it."""
    root = unpaired_tree(tmp_path)
    dataset = UnpairedImageDataset(data_root=str(root), pipeline=[
        dict(type='LoadImageFromFile', key='img'),
        dict(type='Resize', size=24, late_size=16, late_from_epoch=1),
        dict(type='PackRestorationInputs')])
    loader = DataLoader(dataset, batch_size=1, num_workers=1,
                        persistent_workers=True, collate_fn=lambda b: b)
    hook = DatasetEpochHook()
    sizes = []
    for epoch in range(3):
        hook.before_train_epoch(SimpleNamespace(
            epoch=epoch, train_dataloader=loader))
        sizes.append({tuple(s['inputs'].shape) for batch in loader
                      for s in batch})
    assert sizes == [{(3, 24, 24)}, {(3, 16, 16)}, {(3, 16, 16)}]
    assert dataset.epoch == 2


def test_epoch_length_max_of_both_domains(tmp_path):
    root = unpaired_tree(tmp_path, num_a=2, num_b=5)
    pipeline = [dict(type='LoadImageFromFile', key='img'),
                dict(type='PackRestorationInputs')]
    default = UnpairedImageDataset(data_root=str(root), pipeline=pipeline)
    longest = UnpairedImageDataset(data_root=str(root), pipeline=pipeline,
                                   length='max')
    assert len(default) == 2 and len(longest) == 5
    keys = [longest.get_data_info(i)['key'] for i in range(5)]
    assert keys == ['000', '001', '000', '001', '000']
    assert longest[4]['data_samples'].metainfo['key'] == '000'
    assert longest.get_data_info(-1)['key'] == '000'  # index 4
    # In test mode every B image is served once in an epoch.
    fixed = UnpairedImageDataset(data_root=str(root), pipeline=pipeline,
                                 length='max', test_mode=True)
    assert len({fixed.get_data_info(i)['ref_path'] for i in range(5)}) == 5
    # More A than B images: the length stays |A|.
    root2 = unpaired_tree(tmp_path / 'more_a', num_a=3, num_b=1)
    assert len(UnpairedImageDataset(data_root=str(root2), length='max')) == 3
    with pytest.raises(ValueError, match="did you mean 'max'"):
        UnpairedImageDataset(data_root=str(root), length='maximum')


def test_released_config_turns_them_on_paper_configs_do_not():
    released = Config.fromfile(RELEASED)
    resize = released.train_dataloader.dataset.pipeline[2]
    assert resize.type == 'Resize' and resize.size == released.load_size
    assert resize.late_size == released.crop_size == 256
    # The official 1-based epoch > n_epochs is the 0-based n_epochs on.
    assert resize.late_from_epoch == released.n_epochs == 300
    assert released.train_dataloader.dataset.length == 'max'
    assert [h.type for h in released.custom_hooks] == ['DatasetEpochHook']
    for path in sorted(glob.glob('configs/dcdgan/dcdgan_*.py')):
        if path == RELEASED:
            continue
        cfg = Config.fromfile(path)
        for transform in cfg.train_dataloader.dataset.pipeline:
            assert 'late_size' not in transform, path
        assert cfg.train_dataloader.dataset.get('length', 'a') == 'a', path
        assert not cfg.get('custom_hooks'), path
    assert osp.basename(RELEASED) in {osp.basename(p) for p in glob.glob(
        'configs/dcdgan/dcdgan_released_*.py')}


def test_released_config_trains_on_late_size_in_the_decay(
        tmp_path, monkeypatch, repo_root):
    """The released config's hook and dataset in a real Runner: the
    images the model trains on are resized to the late size from
    ``late_from_epoch`` on (the crops dropped so that the size shows)."""
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    from toolbox.engine.checkpoint import install_safe_checkpoint_loader
    monkeypatch.chdir(repo_root)
    root = unpaired_tree(tmp_path / 'data', num_a=2, num_b=3, size=40)
    cfg = Config.fromfile(RELEASED)
    pipeline = cfg.train_dataloader.dataset.pipeline
    pipeline[2].update(size=40, late_size=32, late_from_epoch=1)
    del pipeline[3:5]  # the two crops
    cfg.train_dataloader.update(num_workers=1, persistent_workers=True)
    cfg.train_dataloader.dataset.data_root = str(root)
    cfg.merge_from_dict({
        'model.generator.base_channels': 8,
        'model.discriminator.base_channels': 8,
        'model.head.mlp_channels': 16, 'model.head.num_patches': 16,
        'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 100,
        'default_hooks.checkpoint.interval': 100,
        'param_scheduler.0.begin': 1, 'param_scheduler.0.end': 2})
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.work_dir = str(tmp_path / 'work')

    class Probe(Hook):
        sizes = {}

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            self.sizes.setdefault(runner.epoch, []).append(
                tuple(data_batch['inputs'][0].shape[1:]))

    install_safe_checkpoint_loader()
    runner = Runner.from_cfg(cfg)
    runner.register_hook(Probe())
    torch.manual_seed(0)
    runner.train()
    # max(|A|, |B|) = 3 iterations per epoch, 40 px, then 32 px.
    assert Probe.sizes == {0: [(40, 40)] * 3, 1: [(32, 32)] * 3}


def test_cyclegan_recipe_counts_an_epoch_as_the_release():
    # The official CycleGAN's UnalignedDataset: max(|A|, |B|) per epoch.
    cfg = Config.fromfile('configs/cyclegan/cyclegan_resnet9_unpaired.py')
    assert cfg.train_dataloader.dataset.length == 'max'
