import cv2
import numpy as np
import pytest
import torch

from tests.helpers import write_paired_folder
from toolbox.datasets import PairedImageDataset
from toolbox.datasets.transforms.loading import ImageReadError, read_image

PIPELINE = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PairedRandomCrop', crop_size=16),
    dict(type='Flip', keys=['img', 'gt']),
    dict(type='PackRestorationInputs'),
]


def test_pairs_by_name_and_packs(tmp_path):
    write_paired_folder(tmp_path, count=3, size=24)
    dataset = PairedImageDataset(data_root=str(tmp_path), pipeline=PIPELINE,
                                 name='toy', degradation='rain')
    assert len(dataset) == 3
    info = dataset.get_data_info(1)
    assert info['img_path'].endswith('input/001.png')
    assert info['gt_path'].endswith('target/001.png')
    sample = dataset[0]
    assert sample['inputs'].shape == (3, 16, 16)
    assert sample['inputs'].dtype == torch.float32
    meta = sample['data_samples'].metainfo
    assert meta['degradation'] == 'rain' and meta['dataset_name'] == 'toy'
    assert sample['data_samples'].gt_img.shape == (3, 16, 16)
    assert dataset.metainfo['dataset_name'] == 'toy'


def test_crop_and_flip_are_identical_on_input_and_target(tmp_path):
    write_paired_folder(tmp_path, count=1, size=24, noise=0.0)
    dataset = PairedImageDataset(data_root=str(tmp_path), pipeline=PIPELINE)
    for _ in range(5):
        sample = dataset[0]
        assert torch.equal(sample['inputs'], sample['data_samples'].gt_img)


def test_missing_partner_and_empty_folder_are_named(tmp_path):
    write_paired_folder(tmp_path, count=2, size=16)
    (tmp_path / 'target' / '001.png').unlink()
    with pytest.raises(FileNotFoundError, match='001.png'):
        PairedImageDataset(data_root=str(tmp_path))
    (tmp_path / 'empty' / 'input').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='no images found in'):
        PairedImageDataset(data_root=str(tmp_path / 'empty'))


def test_read_image_conversions_and_errors(tmp_path):
    gray = (np.arange(64, dtype=np.uint8).reshape(8, 8) * 4)
    cv2.imwrite(str(tmp_path / 'gray.png'), gray)
    img = read_image(str(tmp_path / 'gray.png'))
    assert img.shape == (8, 8, 3) and np.array_equal(img[..., 1], gray)

    deep = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)
    cv2.imwrite(str(tmp_path / 'deep.png'), np.dstack([deep] * 3))
    img = read_image(str(tmp_path / 'deep.png'))
    assert img.dtype == np.uint8 and img[-1, -1, 0] == round(63000 / 257)

    bgra = np.zeros((4, 4, 4), np.uint8)
    bgra[..., 2] = 200  # red in OpenCV's BGRA order
    bgra[..., 3] = 10
    cv2.imwrite(str(tmp_path / 'rgba.png'), bgra)
    img = read_image(str(tmp_path / 'rgba.png'))
    assert img.shape == (4, 4, 3) and np.all(img[..., 0] == 200)

    (tmp_path / 'zero.png').write_bytes(b'')
    with pytest.raises(ImageReadError, match='zero.png'):
        read_image(str(tmp_path / 'zero.png'))
    ok = cv2.imencode('.png', np.zeros((32, 32, 3), np.uint8))[1].tobytes()
    (tmp_path / 'cut.png').write_bytes(ok[:len(ok) // 2])
    with pytest.raises(ImageReadError, match='cut.png'):
        read_image(str(tmp_path / 'cut.png'))
    with pytest.raises(ImageReadError, match='absent.png'):
        read_image(str(tmp_path / 'absent.png'))


def test_size_mismatch_is_named(tmp_path):
    write_paired_folder(tmp_path, count=1, size=24)
    cv2.imwrite(str(tmp_path / 'target' / '000.png'),
                np.zeros((20, 24, 3), np.uint8))
    dataset = PairedImageDataset(data_root=str(tmp_path), pipeline=PIPELINE)
    with pytest.raises(ValueError, match='Size mismatch.*000.png'):
        dataset[0]
