"""LMDBs across toolboxes: the toolbox reads BasicSR's and MMagic's
``meta_info.txt`` conventions, and BasicSR's key rule reads the toolbox's
databases (the 2-iteration training run on a BasicSR-layout database is in
tests/tools/test_foreign_lmdb.py)."""
import os.path as osp
import warnings

import cv2
import lmdb
import numpy as np
import pytest
import torch

from tests.helpers import write_basicsr_lmdb, write_paired_folder
from toolbox.datasets import PairedImageDataset
from toolbox.datasets.listing import MetaInfoError, read_meta_info
from toolbox.datasets.lmdb_utils import DottedKeyWarning, create_lmdb

PIPELINE = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PackRestorationInputs'),
]


def _read_value(db_path, key: str) -> np.ndarray:
    env = lmdb.open(str(db_path), readonly=True, lock=False)
    with env.begin() as txn:
        value = txn.get(key.encode('ascii'))
    env.close()
    assert value is not None, f'{key!r} is not in {db_path}'
    return cv2.imdecode(np.frombuffer(value, np.uint8), cv2.IMREAD_UNCHANGED)


def test_basicsr_made_lmdb_trains_like_its_folders(tmp_path):
    root = write_paired_folder(tmp_path / 'src', count=3, size=16)
    # a name with dots: BasicSR stores 'rocket.v2' and lists 'rocket.v2.png'
    for side in ('input', 'target'):
        (root / side / '001.png').rename(root / side / 'rocket.v2.png')
    lmdb_root = tmp_path / 'basicsr'
    lmdb_root.mkdir()
    for side in ('input', 'target'):
        write_basicsr_lmdb(root / side, lmdb_root / f'{side}.lmdb')
    lines = (lmdb_root / 'input.lmdb' / 'meta_info.txt').read_text()
    assert lines.splitlines()[0] == '000.png (16,16,3) 1'
    assert list(read_meta_info(str(lmdb_root / 'input.lmdb'))) == \
        ['000', '002', 'rocket.v2']
    from_lmdb = PairedImageDataset(
        data_root=str(lmdb_root),
        data_prefix=dict(img='input.lmdb', gt='target.lmdb'),
        pipeline=PIPELINE)
    from_folders = PairedImageDataset(data_root=str(root), pipeline=PIPELINE)
    assert [from_lmdb.get_data_info(i)['key'] for i in range(3)] == \
        [from_folders.get_data_info(i)['key'] for i in range(3)] == \
        ['000', '002', 'rocket.v2']
    for i in range(len(from_folders)):
        a, b = from_folders[i], from_lmdb[i]
        assert torch.equal(a['inputs'], b['inputs'])
        assert torch.equal(a['data_samples'].gt_img, b['data_samples'].gt_img)


def _raw_lmdb(db_path, keys, meta_lines):
    env = lmdb.open(str(db_path), map_size=1 << 22)
    png = cv2.imencode('.png', np.zeros((2, 3, 3), np.uint8))[1].tobytes()
    with env.begin(write=True) as txn:
        for key in keys:
            txn.put(key.encode('ascii'), png)
    env.close()
    (db_path / 'meta_info.txt').write_text('\n'.join(meta_lines) + '\n')
    return str(db_path)


def test_every_meta_info_convention_resolves_to_stored_keys(tmp_path):
    db = _raw_lmdb(tmp_path / 'x.lmdb',
                   ['00001/0266', 'a.b', 'c', 'frame.png', 'k'], [
                       '00001/0266 (256, 448, 3)',  # MMagic Vimeo-90K list
                       'a.b.png (2,3,3) 1',  # BasicSR, dotted name
                       'c.JPG (2,3,3) 1',  # another extension, any case
                       'frame.png (2,3,3) 1',  # the field is itself a key
                       'k',  # a bare key (MMagic CelebA-HQ list)
                       ''
                   ])
    assert read_meta_info(db) == {
        '00001/0266': (256, 448, 3), 'a.b': (2, 3, 3), 'c': (2, 3, 3),
        'frame.png': (2, 3, 3), 'k': None}


def test_a_line_naming_no_stored_key_is_an_error_naming_it(tmp_path):
    db = _raw_lmdb(tmp_path / 'x.lmdb', ['a', 'b'],
                   ['a.png (2,3,3) 1', 'b.v2.png (2,3,3) 1'])
    with pytest.raises(MetaInfoError) as error:
        read_meta_info(db)
    message = str(error.value)
    assert 'meta_info.txt:2' in message
    assert "'b.v2.png (2,3,3) 1'" in message and "'b.v2'" in message
    # through a dataset, the message also names the dataset
    with pytest.raises(MetaInfoError, match='^rain_lmdb: .*meta_info.txt:2'):
        PairedImageDataset(data_root=str(tmp_path),
                           data_prefix=dict(img='x.lmdb', gt='x.lmdb'),
                           name='rain_lmdb')


def test_two_lines_naming_one_key_are_an_error(tmp_path):
    db = _raw_lmdb(tmp_path / 'x.lmdb', ['a'],
                   ['a (2,3,3) 1', 'a.png (2,3,3) 1'])
    with pytest.raises(MetaInfoError, match='line 1 already named'):
        read_meta_info(db)


def test_toolbox_lmdb_reads_with_basicsr_and_mmagic_key_rules(tmp_path):
    root = write_paired_folder(tmp_path / 'src', count=3, size=12)
    (root / 'input' / 'scene1').mkdir()
    (root / 'input' / '002.png').rename(root / 'input' / 'scene1' / '002.png')
    db = tmp_path / 'input.lmdb'
    with warnings.catch_warnings():
        warnings.simplefilter('error', DottedKeyWarning)  # no dots here
        create_lmdb(str(root / 'input'), str(db), progress=False)
    sources = {'000': '000.png', '001': '001.png',
               'scene1/002': 'scene1/002.png'}
    lines = (db / 'meta_info.txt').read_text().splitlines()
    # BasicSR 1.4.2 paired_paths_from_lmdb and MMEditing 0.x SRLmdbDataset:
    # the key is the line up to its first dot.
    basicsr_keys = [line.split('.')[0] for line in lines]
    assert sorted(basicsr_keys) == sorted(sources)
    for key in basicsr_keys:
        expected = cv2.imread(str(root / 'input' / sources[key]),
                              cv2.IMREAD_UNCHANGED)
        assert np.array_equal(_read_value(db, key), expected)
    # MMagic 1.x LoadImageFromFile with an lmdb backend: the basename of
    # the listed path without its extension (flat keys only).
    mmagic_keys = [osp.splitext(osp.basename(line.split(' ')[0]))[0]
                   for line in lines if '/' not in line.split(' ')[0]]
    for key in mmagic_keys:
        assert _read_value(db, key).shape == (12, 12, 3)
