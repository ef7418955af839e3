import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.runner import Runner
from torch.utils.data import Dataset

from toolbox.registry import DATASETS, METRICS
from toolbox.structures import RestorationSample


@DATASETS.register_module(force=True)
class ToyPairs(Dataset):
    """Constant images whose value encodes the dataset (for prefix checks)."""

    def __init__(self, value, name, length=3):
        self.value, self.length = value, length
        self.metainfo = dict(dataset_name=name)

    def __len__(self):
        return self.length

    def __getitem__(self, idx):
        sample = RestorationSample(metainfo=dict(img_path=f'{idx}.png'))
        sample.gt_img = torch.full((3, 8, 8), float(self.value))
        return dict(inputs=torch.full((3, 8, 8), float(self.value)),
                    data_samples=sample)


@METRICS.register_module(force=True)
class ToyTargetMean(BaseMetric):
    """Mean of the targets seen (tells which dataset a metric saw)."""

    def process(self, data_batch, data_samples):
        self.results += [s['gt_img'].mean().item() for s in data_samples]

    def compute_metrics(self, results):
        return dict(target_mean=sum(results) / len(results))


@METRICS.register_module(force=True)
class ToyCount(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results += [1 for _ in data_samples]

    def compute_metrics(self, results):
        return dict(count=len(results))


def loader(value, name):
    return dict(batch_size=2, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='pseudo_collate'),
                dataset=dict(type='ToyPairs', value=value, name=name))


def make_runner(tmp_path, evaluator, loaders):
    return Runner(
        model=dict(type='Restorer',
                   generator=dict(type='DnCNN', mid_channels=4, depth=2,
                                  norm=None)),
        work_dir=str(tmp_path),
        test_dataloader=loaders,
        test_evaluator=evaluator,
        test_cfg=dict(type='MultiTestLoop'),
        default_scope='toolbox',
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)))


def test_metrics_are_prefixed_per_test_set(tmp_path):
    runner = make_runner(tmp_path, [dict(type='ToyTargetMean')],
                         [loader(10, 'sots'), loader(20, 'rain1400')])
    metrics = runner.test()
    assert metrics == {'sots/target_mean': pytest.approx(10.0),
                       'rain1400/target_mean': pytest.approx(20.0)}


def test_per_set_evaluators(tmp_path):
    runner = make_runner(tmp_path,
                         [[dict(type='ToyTargetMean')],
                          [dict(type='ToyCount')]],
                         [loader(10, 'synthetic'), loader(20, 'real')])
    metrics = runner.test()
    assert metrics == {'synthetic/target_mean': pytest.approx(10.0),
                       'real/count': 3}


def test_single_set_keeps_plain_keys(tmp_path):
    runner = make_runner(tmp_path, dict(type='ToyCount'), loader(1, 'only'))
    assert runner.test() == {'count': 3}


def test_duplicate_names_are_refused(tmp_path):
    runner = make_runner(tmp_path, dict(type='ToyCount'),
                         [loader(1, 'x'), loader(2, 'x')])
    with pytest.raises(ValueError, match='distinct names'):
        runner.test()
