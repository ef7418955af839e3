"""PairedImageDataset's ann_file: BasicSR's meta_info_file and MMagic's
ann_file lists of folder datasets."""
import cv2
import numpy as np
import pytest

from toolbox.datasets import PairedImageDataset


def samples(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def _write(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / name), np.zeros((8, 8, 3), np.uint8))


def test_basicsr_meta_info_file_with_filename_tmpl(tmp_path):
    # BasicSR: dataroot_lq/0001x4.png pairs with dataroot_gt/0001.png under
    # filename_tmpl '{}x4'; meta_info_file lists the GT names.
    _write(tmp_path / 'lq', ['0001x4.png', '0002x4.png', '0003x4.png'])
    _write(tmp_path / 'gt', ['0001.png', '0002.png', '0003.png'])
    (tmp_path / 'meta_info.txt').write_text(
        '0003.png (8,8,3)\n0001.png (8,8,3)\n\n')
    dataset = PairedImageDataset(
        data_root=str(tmp_path), data_prefix=dict(img='lq', gt='gt'),
        filename_tmpl=dict(img='{}x4', gt='{}'), ann_file='meta_info.txt')
    assert [(d['key'], d['gt_path'].rsplit('/', 1)[1])
            for d in samples(dataset)] == [('0003x4', '0003.png'),
                                           ('0001x4', '0001.png')]


def test_mmagic_ann_file_with_folders_and_bare_names(tmp_path):
    _write(tmp_path / 'input', ['00001/0266.png', '00001/0268.png', 'a.png'])
    _write(tmp_path / 'target', ['00001/0266.png', '00001/0268.png', 'a.png'])
    (tmp_path / 'list.txt').write_text('00001/0268 (8, 8, 3)\na\n')
    dataset = PairedImageDataset(data_root=str(tmp_path), ann_file='list.txt')
    assert [d['key'] for d in samples(dataset)] == ['00001/0268', 'a']


def test_a_listed_name_without_an_input_is_an_error_naming_the_line(
        tmp_path):
    _write(tmp_path / 'input', ['a.png', 'b.png'])
    _write(tmp_path / 'target', ['a.png', 'b.png'])
    (tmp_path / 'list.txt').write_text('a.png (8,8,3)\nc.png (8,8,3)\n')
    with pytest.raises(FileNotFoundError, match=r"list.txt:2: 'c.png"):
        PairedImageDataset(data_root=str(tmp_path), ann_file='list.txt')
    dataset = PairedImageDataset(data_root=str(tmp_path),
                                 ann_file='list.txt', skip_bad=True)
    assert [d['key'] for d in samples(dataset)] == ['a']
