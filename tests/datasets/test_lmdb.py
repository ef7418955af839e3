import numpy as np
import pytest
import torch

import toolbox.datasets.lmdb_utils as lmdb_utils
from tests.helpers import read_lmdb_image, write_paired_folder
from toolbox.datasets import PairedImageDataset
from toolbox.datasets.lmdb_utils import create_lmdb, read_meta_info

PIPELINE = [
    dict(type='LoadImageFromFile', key='img'),
    dict(type='LoadImageFromFile', key='gt'),
    dict(type='PairedRandomCrop', crop_size=16),
    dict(type='Flip', keys=['img', 'gt']),
    dict(type='PackRestorationInputs'),
]


@pytest.fixture
def folders(tmp_path):
    root = write_paired_folder(tmp_path / 'folders', count=5, size=24)
    lmdb_root = tmp_path / 'lmdb'
    for side in ('input', 'target'):
        create_lmdb(str(root / side), str(lmdb_root / f'{side}.lmdb'),
                    progress=False)
    return root, lmdb_root


def test_meta_info_and_keys(folders, tmp_path):
    root, lmdb_root = folders
    meta = read_meta_info(str(lmdb_root / 'input.lmdb'))
    assert list(meta) == ['000', '001', '002', '003', '004']
    assert meta['002'] == (24, 24, 3)
    line = (lmdb_root / 'input.lmdb' / 'meta_info.txt').read_text().split(
        '\n')[0]
    assert line == '000.png (24,24,3) 1'  # BasicSR's convention
    # keys keep sub-folders and dots (with a warning: other toolboxes cut
    # keys at the first dot)
    (tmp_path / 'nested' / 'scene.a').mkdir(parents=True)
    img = np.zeros((4, 4, 3), np.uint8)
    import cv2
    cv2.imwrite(str(tmp_path / 'nested' / 'scene.a' / 'x.y.png'), img)
    with pytest.warns(lmdb_utils.DottedKeyWarning, match="'scene'"):
        create_lmdb(str(tmp_path / 'nested'), str(tmp_path / 'n.lmdb'),
                    progress=False)
    assert list(read_meta_info(str(tmp_path / 'n.lmdb'))) == ['scene.a/x.y']
    assert read_lmdb_image(str(tmp_path / 'n.lmdb'), 'scene.a/x.y').shape == \
        (4, 4, 3)


def test_folder_and_lmdb_twins_yield_identical_pixels(folders):
    root, lmdb_root = folders
    from_folders = PairedImageDataset(data_root=str(root), pipeline=PIPELINE)
    from_lmdb = PairedImageDataset(
        data_root=str(lmdb_root),
        data_prefix=dict(img='input.lmdb', gt='target.lmdb'),
        pipeline=PIPELINE)
    assert len(from_folders) == len(from_lmdb) == 5
    for i in range(5):
        for dataset_seed in (0, 1):
            import random
            random.seed(dataset_seed)
            a = from_folders[i]
            random.seed(dataset_seed)
            b = from_lmdb[i]
            assert torch.equal(a['inputs'], b['inputs'])
            assert torch.equal(a['data_samples'].gt_img,
                               b['data_samples'].gt_img)


def test_interrupted_build_resumes_without_corrupting(tmp_path, monkeypatch):
    root = write_paired_folder(tmp_path / 'src', count=6, size=16)
    out = tmp_path / 'db.lmdb'
    calls = {'n': 0}
    real_commit = lmdb_utils._commit

    def crash_on_second_commit(*args, **kwargs):
        calls['n'] += 1
        if calls['n'] == 2:
            raise KeyboardInterrupt
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(lmdb_utils, '_commit', crash_on_second_commit)
    with pytest.raises(KeyboardInterrupt):
        create_lmdb(str(root / 'input'), str(out), commit_every=2,
                    progress=False)
    assert not out.exists()  # never half-written under the final name
    assert (tmp_path / 'db.lmdb.partial').exists()
    monkeypatch.setattr(lmdb_utils, '_commit', real_commit)
    assert create_lmdb(str(root / 'input'), str(out), commit_every=2,
                       progress=False) == 6
    assert len(read_meta_info(str(out))) == 6
    assert not (tmp_path / 'db.lmdb.partial').exists()
    with pytest.raises(FileExistsError, match='--overwrite'):
        create_lmdb(str(root / 'input'), str(out), progress=False)


def test_forked_workers_read_a_database_the_main_process_opened(folders):
    """A dataloader forked after the main process read an LMDB (a
    validation before training) reads it in every worker: py-lmdb refuses a
    second open of a database in one process, so the inherited environment
    must be closed first."""
    from torch.utils.data import DataLoader
    root, lmdb_root = folders
    pipeline = [dict(type='LoadImageFromFile', key='img'),
                dict(type='LoadImageFromFile', key='gt'),
                dict(type='PackRestorationInputs')]
    dataset = PairedImageDataset(
        data_root=str(lmdb_root),
        data_prefix=dict(img='input.lmdb', gt='target.lmdb'),
        pipeline=pipeline)
    in_main = [dataset[i]['inputs'] for i in range(len(dataset))]
    loader = DataLoader(dataset, batch_size=1, num_workers=2,
                        multiprocessing_context='fork',
                        collate_fn=lambda batch: batch[0])
    in_workers = [sample['inputs'] for sample in loader]
    assert len(in_workers) == len(in_main)
    for a, b in zip(in_main, in_workers):
        assert torch.equal(a, b)
