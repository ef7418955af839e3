"""Tiny fake trees of every benchmark layout: counts, pairing and labels."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from toolbox.datasets import (GoProDataset, HybridDistortionDataset,
                              PairedImageDataset, RealBlurDataset,
                              RESIDEDataset, Rain1400Dataset, SPADataset)
from toolbox.datasets.lmdb_utils import create_lmdb


def touch_image(path: Path, value: int = 0):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((8, 8, 3), value, np.uint8))


def test_rain1400_many_to_one(tmp_path):
    for clean in (901, 902):
        touch_image(tmp_path / 'ground_truth' / f'{clean}.jpg')
        for i in range(1, 15):
            touch_image(tmp_path / 'rainy_image' / f'{clean}_{i}.jpg')
    dataset = Rain1400Dataset(data_root=str(tmp_path))
    assert len(dataset) == 28
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        stem = Path(info['img_path']).stem.split('_')[0]
        assert Path(info['gt_path']).name == f'{stem}.jpg'
        assert info['degradation'] == 'rain'


def test_reside_ots_and_sots_names(tmp_path):
    touch_image(tmp_path / 'clear' / '0025.jpg')
    touch_image(tmp_path / 'hazy' / '0025_0.8_0.1.jpg')
    touch_image(tmp_path / 'hazy' / '0025_1_0.2.jpg')
    dataset = RESIDEDataset(data_root=str(tmp_path))
    assert len(dataset) == 2
    assert all(Path(dataset.get_data_info(i)['gt_path']).name == '0025.jpg'
               for i in range(2))
    assert dataset.get_data_info(0)['degradation'] == 'haze'
    touch_image(tmp_path / 'hazy' / '0026_0.9_0.1.jpg')
    with pytest.raises(FileNotFoundError, match='0026_0.9_0.1'):
        RESIDEDataset(data_root=str(tmp_path))


def test_gopro_scenes(tmp_path):
    for scene in ('GOPR0372_07_00', 'GOPR0384_11_01'):
        for name in ('000047.png', '000048.png'):
            touch_image(tmp_path / scene / 'blur' / name)
            touch_image(tmp_path / scene / 'sharp' / name)
    dataset = GoProDataset(data_root=str(tmp_path))
    assert len(dataset) == 4
    info = dataset.get_data_info(3)
    assert info['key'] == 'GOPR0384_11_01/000048'
    assert '/sharp/' in info['gt_path'] and '/blur/' in info['img_path']
    assert info['degradation'] == 'blur'


def test_realblur_list_file(tmp_path):
    lines = []
    for i in range(3):
        touch_image(tmp_path / 'RealBlur-J_ECC_IMCORR_centroid_itensity_ref' /
                    'scene001' / 'gt' / f'gt_{i}.png')
        touch_image(tmp_path / 'RealBlur-J_ECC_IMCORR_centroid_itensity_ref' /
                    'scene001' / 'blur' / f'blur_{i}.png')
        lines.append(
            f'RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene001/gt/gt_{i}.png '
            f'RealBlur-J_ECC_IMCORR_centroid_itensity_ref/scene001/blur/'
            f'blur_{i}.png')
    (tmp_path / 'RealBlur_J_test_list.txt').write_text('\n'.join(lines) + '\n')
    dataset = RealBlurDataset(data_root=str(tmp_path))
    assert len(dataset) == 3
    assert dataset.get_data_info(1)['gt_path'].endswith('gt/gt_1.png')
    assert dataset.get_data_info(1)['img_path'].endswith('blur/blur_1.png')
    (tmp_path / 'bad_list.txt').write_text('only_one_field.png\n')
    with pytest.raises(ValueError, match='bad_list.txt:1'):
        RealBlurDataset(data_root=str(tmp_path), ann_file='bad_list.txt')


def test_spa_and_hybrid_folders_use_paired_by_name(tmp_path):
    # SPA-Data test pairs: rain/<n>.png ↔ norain/<n>.png (same names)
    touch_image(tmp_path / 'spa' / 'rain' / '1.png')
    touch_image(tmp_path / 'spa' / 'norain' / '1.png')
    spa = PairedImageDataset(data_root=str(tmp_path / 'spa'),
                             data_prefix=dict(img='rain', gt='norain'),
                             degradation='rain')
    assert len(spa) == 1
    # DIV2K-style hybrid distortion folders: <level>/input ↔ <level>/target
    for level in ('mild', 'moderate'):
        touch_image(tmp_path / 'div2k' / level / 'input' / '0801_s001.png')
        touch_image(tmp_path / 'div2k' / level / 'target' / '0801_s001.png')
    mild = PairedImageDataset(data_root=str(tmp_path / 'div2k' / 'mild'),
                              name='mild')
    assert len(mild) == 1 and mild.metainfo['dataset_name'] == 'mild'


def test_spa_list_file(tmp_path):
    lines = []
    for i in (1, 2):
        touch_image(tmp_path / 'real_test_1000' / 'rain' / f'{i}.png', 10)
        touch_image(tmp_path / 'real_test_1000' / 'gt' / f'{i}gt.png', 20)
        lines.append(f'/real_test_1000/rain/{i}.png '
                     f'/real_test_1000/gt/{i}gt.png')
    (tmp_path / 'real_test_1000.txt').write_text('\n'.join(lines) + '\n')
    dataset = SPADataset(data_root=str(tmp_path), name='spa')
    assert len(dataset) == 2
    info = dataset.get_data_info(1)
    assert info['img_path'].endswith('rain/2.png')
    assert info['gt_path'].endswith('gt/2gt.png')
    assert info['degradation'] == 'rain' and info['dataset_name'] == 'spa'
    (tmp_path / 'real_test_1000' / 'gt' / '2gt.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'real_test_1000.txt:2'):
        SPADataset(data_root=str(tmp_path))


def test_hybrid_distortion_levels(tmp_path):
    for level, count in (('mild', 1), ('severe', 2)):
        for i in range(count):
            touch_image(tmp_path / level / 'input' / f'0801_s1_{i}.png')
            touch_image(tmp_path / level / 'target' / f'0801_s1_{i}.png')
    severe = HybridDistortionDataset(level='severe', data_root=str(tmp_path))
    assert len(severe) == 2 and severe.metainfo['dataset_name'] == 'severe'
    assert severe.get_data_info(0)['degradation'] == 'hybrid'
    assert len(HybridDistortionDataset(level='mild',
                                       data_root=str(tmp_path))) == 1


def test_gopro_and_realblur_from_lmdb(tmp_path):
    for scene in ('GOPR0372_07_00', 'GOPR0384_11_01'):
        for value, name in enumerate(('000047.png', '000048.png')):
            touch_image(tmp_path / 'train' / scene / 'blur' / name, value)
            touch_image(tmp_path / 'train' / scene / 'sharp' / name, 9)
    create_lmdb(str(tmp_path / 'train'), str(tmp_path / 'train.lmdb'),
                progress=False)
    folder = GoProDataset(data_root=str(tmp_path / 'train'))
    lmdb = GoProDataset(data_root=str(tmp_path),
                        data_prefix=dict(img='train.lmdb', gt='train.lmdb'))
    assert len(lmdb) == len(folder) == 4
    info = lmdb.get_data_info(3)
    assert info['img_path'] == 'GOPR0384_11_01/blur/000048'
    assert info['gt_path'] == 'GOPR0384_11_01/sharp/000048'
    assert info['key'] == folder.get_data_info(3)['key']
    assert info['img_backend_args']['db_path'].endswith('train.lmdb')

    # gt and blur differ, so a swap of the two columns of the list shows
    touch_image(tmp_path / 'rb' / 'scene001' / 'gt' / 'gt_1.png', 200)
    touch_image(tmp_path / 'rb' / 'scene001' / 'blur' / 'blur_1.png', 50)
    create_lmdb(str(tmp_path / 'rb'), str(tmp_path / 'db' / 'rb.lmdb'),
                progress=False)
    (tmp_path / 'db' / 'list.txt').write_text(
        'scene001/gt/gt_1.png scene001/blur/blur_1.png\n')
    dataset = RealBlurDataset(
        data_root=str(tmp_path / 'db'), ann_file='list.txt',
        data_prefix=dict(img='rb.lmdb', gt='rb.lmdb'),
        pipeline=[dict(type='LoadImageFromFile', key='img'),
                  dict(type='LoadImageFromFile', key='gt')])
    sample = dataset[0]
    assert sample['img_path'] == 'scene001/blur/blur_1'
    assert sample['gt'].shape == sample['img'].shape == (8, 8, 3)
    assert np.all(sample['gt'] == 200) and np.all(sample['img'] == 50)
