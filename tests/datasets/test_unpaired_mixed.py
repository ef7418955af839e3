from collections import Counter

import pytest
import torch

from tests.helpers import write_paired_folder
from toolbox.datasets import (DegradationBalancedSampler, ImageFolderDataset,
                              MixedDegradationDataset, UnpairedImageDataset)

LOAD = [dict(type='LoadImageFromFile', key='img')]


def test_unpaired_random_in_training_fixed_in_testing(tmp_path):
    write_paired_folder(tmp_path, count=3, size=16, img_dir='trainA',
                        gt_dir='trainB')
    pipeline = LOAD + [dict(type='LoadImageFromFile', key='ref'),
                       dict(type='PackRestorationInputs')]
    test = UnpairedImageDataset(data_root=str(tmp_path), pipeline=pipeline,
                                test_mode=True)
    refs = [test[i]['data_samples'].metainfo['ref_path'] for i in range(3)]
    assert refs == [test[i]['data_samples'].metainfo['ref_path']
                    for i in range(3)]
    assert 'ref_img' in test[0]['data_samples']
    train = UnpairedImageDataset(data_root=str(tmp_path), pipeline=pipeline)
    drawn = {train[0]['data_samples'].metainfo['ref_path'] for _ in range(30)}
    assert len(drawn) > 1  # independent sampling of domain B


def test_image_folder_has_no_targets(tmp_path):
    write_paired_folder(tmp_path, count=2, size=16)
    dataset = ImageFolderDataset(
        data_root=str(tmp_path), data_prefix=dict(img='input'),
        pipeline=LOAD + [dict(type='PackRestorationInputs')], name='real')
    sample = dataset[1]
    assert 'gt_img' not in sample['data_samples']
    assert dataset.metainfo['dataset_name'] == 'real'


def mixed(tmp_path, counts=(2, 3, 5)):
    datasets = []
    for name, count in zip(('haze', 'rain', 'blur'), counts):
        write_paired_folder(tmp_path / name, count=count, size=16)
        datasets.append(dict(type='PairedImageDataset',
                             data_root=str(tmp_path / name),
                             pipeline=LOAD + [
                                 dict(type='LoadImageFromFile', key='gt'),
                                 dict(type='PackRestorationInputs')]))
    return MixedDegradationDataset(datasets, labels=['haze', 'rain', 'blur'])


def test_mixed_dataset_labels_every_sample(tmp_path):
    dataset = mixed(tmp_path)
    assert len(dataset) == 10
    assert dataset.sample_labels() == ['haze'] * 2 + ['rain'] * 3 + \
        ['blur'] * 5
    assert dataset[1]['data_samples'].metainfo['degradation'] == 'haze'
    assert dataset[9]['data_samples'].metainfo['degradation'] == 'blur'
    with pytest.raises(ValueError, match='one label per dataset'):
        MixedDegradationDataset([], labels=['haze'])


def test_balanced_sampler_balances_each_batch(tmp_path):
    dataset = mixed(tmp_path)
    labels = dataset.sample_labels()
    sampler = DegradationBalancedSampler(dataset, seed=0)
    stream = iter(sampler)
    for _ in range(20):
        batch = [next(stream) for _ in range(6)]
        assert Counter(labels[i] for i in batch) == {
            'haze': 2, 'rain': 2, 'blur': 2}
    # deterministic for a seed
    first = [next(iter(DegradationBalancedSampler(dataset, seed=3)))
             for _ in range(2)]
    assert first[0] == first[1]
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=3, sampler=sampler, collate_fn=lambda b: b)
    batch = next(iter(loader))
    assert sorted(s['data_samples'].metainfo['degradation']
                  for s in batch) == ['blur', 'haze', 'rain']


def test_balanced_sampler_splits_ranks_and_epochs(tmp_path, monkeypatch):
    import toolbox.datasets.samplers as samplers
    dataset = mixed(tmp_path, counts=(4, 4, 8))
    labels = dataset.sample_labels()
    per_rank = []
    for rank in range(2):
        monkeypatch.setattr(samplers, 'get_dist_info', lambda r=rank: (r, 2))
        sampler = DegradationBalancedSampler(dataset, seed=5, infinite=False)
        assert len(sampler) == 8  # ceil(16 / 2)
        per_rank.append(list(sampler))
    for indices in per_rank:
        assert len(indices) == 8
        for start in range(0, 6, 3):  # batch 3: one of each label
            assert {labels[i] for i in indices[start:start + 3]} == {
                'haze', 'rain', 'blur'}
    # within one pass over a label, the ranks see disjoint samples
    haze = [[i for i in ind if labels[i] == 'haze'][:2] for ind in per_rank]
    assert not set(haze[0]) & set(haze[1])
    assert set(haze[0]) | set(haze[1]) == {0, 1, 2, 3}
    sampler.set_epoch(1)
    assert list(sampler) != per_rank[1]  # reshuffled per epoch


def test_unpaired_and_folder_sets_read_lmdb(tmp_path):
    from toolbox.datasets.lmdb_utils import create_lmdb
    root = write_paired_folder(tmp_path / 'f', count=3, size=16,
                               img_dir='trainA', gt_dir='trainB')
    for side in ('trainA', 'trainB'):
        create_lmdb(str(root / side), str(tmp_path / 'l' / f'{side}.lmdb'),
                    progress=False)
    pipeline = LOAD + [dict(type='LoadImageFromFile', key='ref'),
                       dict(type='PackRestorationInputs')]
    kwargs = dict(pipeline=pipeline, test_mode=True)
    folder = UnpairedImageDataset(data_root=str(root), **kwargs)
    lmdb = UnpairedImageDataset(
        data_root=str(tmp_path / 'l'),
        data_prefix=dict(img='trainA.lmdb', ref='trainB.lmdb'), **kwargs)
    for i in range(3):
        a, b = folder[i], lmdb[i]
        assert torch.equal(a['inputs'], b['inputs'])
        assert torch.equal(a['data_samples'].ref_img,
                           b['data_samples'].ref_img)
    real = ImageFolderDataset(
        data_root=str(tmp_path / 'l'), data_prefix=dict(img='trainA.lmdb'),
        pipeline=LOAD + [dict(type='PackRestorationInputs')])
    assert torch.equal(real[2]['inputs'], folder[2]['inputs'])
