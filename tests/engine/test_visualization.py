"""ValImageGridHook (toolbox/engine/visualization.py): input | output |
target grids of the first validation images, written through the
visualizer at every validation; the TensorBoard backend that switches
itself off without TensorBoard."""
import glob
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from torch.utils.data import Dataset

from tests.helpers import write_paired_folder
from toolbox.engine.visualization import (OptionalTensorboardVisBackend,
                                          image_grid, shrink, to_uint8_image)
from toolbox.registry import DATASETS
from toolbox.structures import RestorationSample


def test_image_grid_pads_cells_and_leaves_empty_ones_grey():
    a = np.full((4, 6, 3), 10, np.uint8)
    b = np.full((2, 3, 3), 200, np.uint8)
    grid = image_grid([[a, b, None], [b, a, a]])
    assert grid.shape == (8, 18, 3)
    assert (grid[:4, :6] == 10).all()
    assert (grid[:2, 6:9] == 200).all() and (grid[2:4, 6:12] == 128).all()
    assert (grid[:4, 12:] == 128).all()  # the missing target
    with pytest.raises(ValueError):
        image_grid([[None]])


def test_to_uint8_clamps_rounds_and_shrinks():
    image = to_uint8_image(torch.tensor([[[-5.0, 254.6]]]).expand(3, 1, 2))
    assert image.dtype == np.uint8 and image.shape == (1, 2, 3)
    assert image[0, :, 0].tolist() == [0, 255]
    nan = to_uint8_image(torch.full((3, 1, 2), float('nan')))
    assert nan.max() == 0
    big = np.zeros((100, 50, 3), np.uint8)
    assert shrink(big, 40).shape == (40, 20, 3)
    assert shrink(big, None) is big and shrink(big, 100) is big


@DATASETS.register_module(force=True)
class ToyVisPairs(Dataset):
    """Constant 8×8 images (targets optional): which set is which."""

    def __init__(self, value, name, length=3, with_target=True):
        self.value, self.length, self.with_target = value, length, with_target
        self.metainfo = dict(dataset_name=name)

    def __len__(self):
        return self.length

    def __getitem__(self, idx):
        sample = RestorationSample(metainfo=dict(img_path=f'{idx}.png'))
        if self.with_target:
            sample.gt_img = torch.full((3, 8, 8), 250.0)
        return dict(inputs=torch.full((3, 8, 8), float(self.value + idx)),
                    data_samples=sample)


def toy_loader(value, name, **kwargs):
    return dict(batch_size=2, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='pseudo_collate'),
                dataset=dict(type='ToyVisPairs', value=value, name=name,
                             **kwargs))


def test_one_grid_per_named_validation_set(tmp_path):
    runner = Runner(
        model=dict(type='Restorer',
                   generator=dict(type='DnCNN', mid_channels=4, depth=2,
                                  norm=None)),
        work_dir=str(tmp_path),
        # A name of its own: MMEngine reuses the visualizer (and its save
        # directory) of an earlier runner with the same name, and the
        # default name is the second the runner was made in.
        experiment_name=f'vis_grid_{tmp_path.name}',
        val_dataloader=[toy_loader(10, 'paired'),
                        toy_loader(50, 'real/rain', length=1,
                                   with_target=False)],
        val_evaluator=[],
        val_cfg=dict(type='MultiValLoop'),
        default_scope='toolbox',
        default_hooks=dict(visualization=dict(type='ValImageGridHook',
                                              num_images=2)),
        visualizer=dict(type='Visualizer',
                        vis_backends=[dict(type='LocalVisBackend')]))
    runner.val()
    images = sorted(glob.glob(osp.join(runner.log_dir, 'vis_data',
                                       'vis_image', '*.png')))
    # ('real/rain': a set name becomes part of a file name.)
    assert [osp.basename(p) for p in images] == ['val_paired_0.png',
                                                 'val_real_rain_0.png']
    paired = cv2.imread(images[0])[..., ::-1]
    # Two rows (num_images) of three 8×8 columns; the inputs are the first
    # two images of the set, in order; the targets the set's references.
    assert paired.shape == (16, 24, 3)
    assert (paired[:8, :8] == 10).all() and (paired[8:, :8] == 11).all()
    assert (paired[:, 16:] == 250).all()
    # A set without references: input | output, its one image.
    real = cv2.imread(images[1])[..., ::-1]
    assert real.shape == (8, 16, 3) and (real[:, :8] == 50).all()


def test_tensorboard_backend_is_off_without_tensorboard(tmp_path,
                                                        monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith('torch.utils.tensorboard') or name.startswith(
                'tensorboard'):
            raise ImportError('No module named tensorboard')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_tensorboard)
    backend = OptionalTensorboardVisBackend(save_dir=str(tmp_path))
    backend.add_scalars({'loss': 1.0}, step=1)
    backend.add_image('val', np.zeros((4, 4, 3), np.uint8), step=1)
    assert backend.experiment is None
    backend.close()


@pytest.fixture(scope='module')
def trained_twice_validated(repo_root, tmp_path_factory):
    """The tiny demo config, 4 iterations, validated at 2 and 4."""
    data = tmp_path_factory.mktemp('vis_data')
    write_paired_folder(data / 'train', count=4, size=64)
    write_paired_folder(data / 'test', count=5, size=40, seed=1)
    work_dir = tmp_path_factory.mktemp('vis_work')
    args = [
        sys.executable, 'tools/train.py', 'configs/demo/tiny_restorer.py',
        '--work-dir', str(work_dir), '--cfg-options',
        f'train_dataloader.dataset.data_root={data}/train',
        f'val_dataloader.dataset.data_root={data}/test',
        'train_dataloader.batch_size=2', 'train_cfg.max_iters=4',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=4',
        'param_scheduler.0.T_max=4', 'optim_wrapper.optimizer.lr=0.01'
    ]
    result = subprocess.run(args, cwd=repo_root, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return data, work_dir


def test_training_writes_grids_at_every_validation(trained_twice_validated):
    data, work_dir = trained_twice_validated
    found = sorted(glob.glob(str(
        work_dir / '*' / 'vis_data' / 'vis_image' / 'val_*.png')))
    assert [osp.basename(p) for p in found] == ['val_2.png', 'val_4.png']
    first, second = (cv2.imread(p)[..., ::-1] for p in found)
    # 4 rows (the default num_images) × input | output | target of 40×40.
    assert first.shape == second.shape == (4 * 40, 3 * 40, 3)
    inputs = sorted(glob.glob(str(data / 'test' / 'input' / '*.png')))
    targets = sorted(glob.glob(str(data / 'test' / 'target' / '*.png')))
    for row in range(4):
        cell = slice(row * 40, row * 40 + 40)
        assert np.array_equal(first[cell, :40],
                              cv2.imread(inputs[row])[..., ::-1])
        assert np.array_equal(first[cell, 80:],
                              cv2.imread(targets[row])[..., ::-1])
    # Same inputs and targets; the output column follows training.
    assert np.array_equal(first[:, :40], second[:, :40])
    assert np.array_equal(first[:, 80:], second[:, 80:])
    assert not np.array_equal(first[:, 40:80], second[:, 40:80])


def test_tensorboard_backend_writes_where_tensorboard_is_installed(
        tmp_path, monkeypatch):
    import types
    calls = []

    class FakeWriter:

        def __init__(self, log_dir):
            calls.append(('init', log_dir))

        def add_scalar(self, name, value, step):
            calls.append(('scalar', name, value, step))

        def add_image(self, name, image, step, dataformats):
            calls.append(('image', name, image.shape, step, dataformats))

        def close(self):
            calls.append(('close', ))

    fake = types.ModuleType('torch.utils.tensorboard')
    fake.SummaryWriter = FakeWriter
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', fake)
    backend = OptionalTensorboardVisBackend(save_dir=str(tmp_path))
    backend.add_scalars({'loss': 1.0}, step=3)
    backend.add_image('val', np.zeros((4, 6, 3), np.uint8), step=3)
    backend.close()
    assert calls == [('init', str(tmp_path)), ('scalar', 'loss', 1.0, 3),
                     ('image', 'val', (4, 6, 3), 3, 'HWC'), ('close', )]


def _kt():
    from tests.models.algorithms.test_uniremoval import build
    return build()


def _da():
    from tests.models.algorithms.test_uniremoval_da import small_da
    return small_da()


def _cyclegan():
    from tests.models.algorithms.test_cyclegan import small_cyclegan
    return small_cyclegan()


def _dcdgan():
    from tests.models.algorithms.test_dcdgan import small_dcdgan
    return small_dcdgan()


def _restorer():
    from toolbox.registry import MODELS
    return MODELS.build(dict(type='Restorer', generator=dict(
        type='DnCNN', mid_channels=4, depth=2, norm=None)))


class _Visualizer:

    def __init__(self):
        self.images = {}

    def add_image(self, name, image, step=0):
        self.images[(name, step)] = image


class _Runner:
    """What the hook reads of a runner during validation."""

    def __init__(self):
        self.iter = 7
        self.visualizer = _Visualizer()
        self.val_loop = type('Loop', (), {'current_set_name': ''})()


# Every algorithm validates through RestorationModel.predict; a GAN runs its
# inference generator. The grid holds what val_step returned.
@pytest.mark.parametrize(
    'make_model', [_restorer, _kt, _da, _cyclegan, _dcdgan],
    ids=['Restorer', 'UniRemovalKT', 'UniRemovalDA', 'CycleGAN', 'DCDGAN'])
def test_every_model_family_gets_its_grid(make_model):
    from toolbox.engine.visualization import ValImageGridHook
    model = make_model()
    model.eval()
    hook, runner = ValImageGridHook(num_images=3), _Runner()
    hook.before_val(runner)
    gen = torch.Generator().manual_seed(0)
    for batch_idx in range(2):  # 2 batches of 2: only the first 3 kept
        samples = []
        for i in range(2):
            sample = RestorationSample(metainfo=dict(
                img_path=f'{batch_idx}{i}.png', degradation='rain'))
            sample.gt_img = torch.rand(3, 16, 16, generator=gen) * 255
            samples.append(sample)
        data = dict(inputs=[torch.rand(3, 16, 16, generator=gen) * 255
                            for _ in range(2)], data_samples=samples)
        with torch.no_grad():
            outputs = model.val_step(data)
        hook.after_val_iter(runner, batch_idx, data, outputs)
    hook.after_val_epoch(runner)
    grid = runner.visualizer.images[('val', 7)]
    assert grid.dtype == np.uint8 and grid.shape == (3 * 16, 3 * 16, 3)
