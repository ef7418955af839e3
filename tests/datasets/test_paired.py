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


LOAD_PACK = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PackRestorationInputs'),
]


def test_filename_templates_pair_different_names(tmp_path):
    write_paired_folder(tmp_path, count=2, size=8)
    for path in (tmp_path / 'input').iterdir():
        path.rename(path.with_name(path.stem + '_rain.png'))
    for path in (tmp_path / 'target').iterdir():
        path.rename(path.with_name('clean_' + path.name))
    dataset = PairedImageDataset(
        data_root=str(tmp_path),
        filename_tmpl=dict(img='{}_rain', gt='clean_{}'))
    info = dataset.get_data_info(1)
    assert info['img_path'].endswith('001_rain.png')
    assert info['gt_path'].endswith('clean_001.png')
    with pytest.raises(FileNotFoundError, match="expected target '000_rain'"):
        PairedImageDataset(data_root=str(tmp_path))


def test_bad_files_are_errors_unless_skip_bad(tmp_path, caplog):
    write_paired_folder(tmp_path, count=4, size=16)
    (tmp_path / 'target' / '003.png').unlink()        # missing partner
    (tmp_path / 'input' / '002.png').write_bytes(b'')  # zero bytes
    (tmp_path / 'input' / '001.png').write_bytes(b'\x89PNG\r\n')  # truncated
    with pytest.raises(FileNotFoundError, match='003.png'):
        PairedImageDataset(data_root=str(tmp_path), name='toy')
    strict = PairedImageDataset(data_root=str(tmp_path / ''), name='toy',
                                pipeline=LOAD_PACK, skip_bad=False,
                                data_prefix=dict(img='input', gt='input'))
    with pytest.raises(ImageReadError, match=r'toy: .*001\.png'):
        strict[1]
    lenient = PairedImageDataset(data_root=str(tmp_path), name='toy',
                                 pipeline=LOAD_PACK, skip_bad=True)
    # 003 (no target) and 002 (empty) are dropped at listing, counted
    assert [lenient.get_data_info(i)['key']
            for i in range(len(lenient))] == ['000', '001']
    for _ in range(5):  # 001 cannot be decoded: another sample is drawn
        assert lenient[1]['data_samples'].metainfo['key'] == '000'
    assert lenient.num_skipped >= 5  # (the redraw may hit 001 again)
    test_set = PairedImageDataset(data_root=str(tmp_path), name='toy',
                                  pipeline=LOAD_PACK, skip_bad=True,
                                  test_mode=True)
    with pytest.raises(ImageReadError, match='toy'):  # never skip in tests
        test_set[1]


def test_gt_size_mismatch_is_caught_at_load_time(tmp_path):
    from toolbox.datasets.transforms import SizeMismatchError
    write_paired_folder(tmp_path, count=1, size=24)
    cv2.imwrite(str(tmp_path / 'target' / '000.png'),
                np.zeros((20, 24, 3), np.uint8))
    dataset = PairedImageDataset(data_root=str(tmp_path), name='toy',
                                 pipeline=LOAD_PACK, test_mode=True)
    with pytest.raises(SizeMismatchError,
                       match=r'toy: .*input/000.png.*target/000.png'):
        dataset[0]


def test_gray_alpha_is_converted(tmp_path):
    from toolbox.datasets.transforms.loading import to_uint8_rgb
    la = np.stack([np.full((3, 3), 7, np.uint8),
                   np.full((3, 3), 255, np.uint8)], axis=2)
    assert np.all(to_uint8_rgb(la) == 7) and to_uint8_rgb(la).shape == \
        (3, 3, 3)
    with pytest.raises(ImageReadError, match='channels'):
        to_uint8_rgb(np.zeros((2, 2, 5), np.uint8), 'x.tif')


def test_rotate_and_pad_transforms():
    import random

    from toolbox.registry import TRANSFORMS
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    rotate = TRANSFORMS.build(dict(type='RandomRotate90'))
    seen = set()
    for seed in range(12):
        random.seed(seed)
        out = rotate.transform(dict(img=img.copy(), gt=img.copy()))
        assert np.array_equal(out['img'], out['gt'])
        seen.add(out['img'].shape[:2])
    assert seen == {(2, 3), (3, 2)}
    pad = TRANSFORMS.build(dict(type='PadToMultiple', divisor=4,
                                keys=['img', 'gt']))
    out = pad.transform(dict(img=img, gt=img))
    assert out['img'].shape == (4, 4, 3) and out['padding'] == (2, 1)
    assert np.array_equal(out['img'][:2, :3], img)
    assert np.array_equal(out['img'][2, :3], img[1])  # mirrored row


def test_colour_order_is_rgb_for_8_and_16_bit_files_and_lmdb(tmp_path):
    from toolbox.datasets.lmdb_utils import create_lmdb
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 0] = 200  # red
    rgb[..., 2] = 30   # a little blue
    (tmp_path / 'src').mkdir()
    cv2.imwrite(str(tmp_path / 'src' / 'red.png'), rgb[..., ::-1])
    cv2.imwrite(str(tmp_path / 'src' / 'red16.png'),
                rgb[..., ::-1].astype(np.uint16) * 257)
    cv2.imwrite(str(tmp_path / 'src' / 'redj.jpg'), rgb[..., ::-1],
                [cv2.IMWRITE_JPEG_QUALITY, 100])
    for name in ('red.png', 'red16.png'):
        assert np.array_equal(read_image(str(tmp_path / 'src' / name)), rgb)
    jpg = read_image(str(tmp_path / 'src' / 'redj.jpg')).astype(int)
    assert np.abs(jpg - rgb).max() <= 3
    create_lmdb(str(tmp_path / 'src'), str(tmp_path / 'db.lmdb'),
                progress=False)
    lmdb = dict(backend='lmdb', db_path=str(tmp_path / 'db.lmdb'))
    assert np.array_equal(read_image('red', lmdb), rgb)
    assert np.array_equal(read_image('red16', lmdb), rgb)
