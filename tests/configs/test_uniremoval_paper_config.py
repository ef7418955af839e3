"""configs/uniremoval/kt_mprnet.py holds the paper's hyper-parameters.

Zhang et al., "Uni-Removal", IV-A: τ = 1e-6, λ_f = 0.5, λ_i = 0.1, a
decay of 0.99 per epoch (of λ_f, III-B), Adam(0.9, 0.999), batch 16, 400
epochs, [-1, 1] patches; the blanks (learning rate, patch size) and the
batch composition are the documented readings (docs/methods/uniremoval.md).
"""
import itertools
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

ROOT = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))), 'configs', 'uniremoval')


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(osp.join(ROOT, 'kt_mprnet.py'))


def test_losses_temperature_and_weights(cfg):
    model = cfg.model
    assert model.type == 'UniRemovalKT'
    assert [dict(loss) for loss in model.losses] == [
        dict(type='L1Loss', loss_weight=1.0, loss_name='pixel')]
    assert model.stage_loss == 'final'
    fcl, icl = model.feature_loss, model.image_loss
    assert (fcl.type, icl.type) == ('FeatureContrastiveLoss',
                                    'ImageContrastiveLoss')
    assert fcl.temperature == icl.temperature == 1e-6  # τ
    assert (fcl.loss_weight, icl.loss_weight) == (0.5, 0.1)  # λ_f, λ_i
    assert tuple(model.feature_keys) == ('dec2_0', 'dec2_1', 'dec2_2',
                                         'orsnet')
    assert icl.embedding.type == 'VGG19FeatureExtractor'
    assert tuple(icl.embedding.layers) == ('relu1_1', 'relu2_1', 'relu3_1',
                                           'relu4_1', 'relu5_1')
    assert tuple(icl.layer_weights) == (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)
    assert icl.embedding.pretrained == 'torch_hub'
    assert icl.embedding.use_input_norm is True
    assert model.data_preprocessor.value_range == '[-1,1]'  # IV-A1
    assert not model.get('allow_random_teachers', False)
    for teacher in model.teachers.values():
        assert teacher.checkpoint and teacher.model == model.student


def test_schedule_decay_and_optimiser(cfg):
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
    assert cfg.train_cfg.max_epochs == 400
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, tuple(optimizer.betas)) == (
        'Adam', 2e-4, (0.9, 0.999))
    assert 'clip_grad' not in cfg.optim_wrapper  # the paper clips nothing
    # constant learning rate; the 0.99 per epoch decays λ_f only
    assert [dict(s) for s in cfg.param_scheduler] == [
        dict(type='ExponentialLR', gamma=1.0, by_epoch=True)]
    assert [dict(h) for h in cfg.custom_hooks] == [
        dict(type='LossWeightDecayHook', decays=dict(feature_loss=0.99),
             by_epoch=True, interval=1)]


def test_data_batch_crop_and_sampler(cfg):
    loader = cfg.train_dataloader
    assert loader.batch_size == 16
    assert dict(loader.sampler) == dict(type='DegradationBalancedSampler',
                                        shuffle=True, infinite=False)
    mixture = loader.dataset
    assert mixture.type == 'MixedDegradationDataset'
    assert list(mixture.labels) == ['haze', 'rain', 'blur']
    assert [(d.type, d.data_root) for d in mixture.datasets] == [
        ('RESIDEDataset', 'data/RESIDE/OTS'),
        ('Rain1400Dataset', 'data/Rain1400/train'),
        ('GoProDataset', 'data/GoPro/train')]
    for dataset in mixture.datasets:
        crops = [t for t in dataset.pipeline if t.type == 'PairedRandomCrop']
        assert [c.crop_size for c in crops] == [256]
    assert [d.dataset.name for d in cfg.val_dataloader] == [
        'sots', 'rain1400', 'gopro']


class FakeMixture:
    """Sizes in the proportions of the full OTS, Rain1400 and GoPro."""

    def __init__(self, counts):
        self.labels = [label for label, n in counts.items()
                       for _ in range(n)]

    def sample_labels(self):
        return self.labels

    def __len__(self):
        return len(self.labels)


def test_an_epoch_is_one_pass_and_every_batch_holds_every_type(cfg):
    from mmengine.registry import DefaultScope

    from toolbox.registry import DATA_SAMPLERS
    dataset = FakeMixture(dict(haze=3000, rain=120, blur=20))
    with DefaultScope.overwrite_default_scope('toolbox'):
        sampler = DATA_SAMPLERS.build(dict(cfg.train_dataloader.sampler,
                                           dataset=dataset, seed=0))
    # as many samples per epoch as one pass over the mixture: 400 epochs
    # are as many iterations (and λ_f decays) as the paper's
    indices = list(itertools.islice(iter(sampler), len(dataset) + 1))
    assert len(sampler) == len(indices) == len(dataset)  # and it ends
    labels = np.array(dataset.labels)[indices]
    batch = cfg.train_dataloader.batch_size
    for start in range(0, len(labels) - batch + 1, batch):
        counts = [int((labels[start:start + batch] == label).sum())
                  for label in ('haze', 'rain', 'blur')]
        assert sorted(counts) == [5, 5, 6], counts
    # the other readings of "epoch" are one option away
    with DefaultScope.overwrite_default_scope('toolbox'):
        longer = DATA_SAMPLERS.build(dict(cfg.train_dataloader.sampler,
                                          dataset=dataset, seed=0,
                                          epoch_length=3 * 3000))
    assert len(longer) == len(list(longer)) == 9000


def test_swapped_weights_config_changes_the_two_weights_only(cfg):
    other = Config.fromfile(osp.join(ROOT, 'kt_mprnet_swapped_weights.py'))
    assert other.model.feature_loss.loss_weight == 0.1
    assert other.model.image_loss.loss_weight == 0.5
    other.model.feature_loss.loss_weight = 0.5
    other.model.image_loss.loss_weight = 0.1
    assert other.to_dict() == cfg.to_dict()
