"""tools/create_lmdb.py: the command line (the logic is tested in
tests/datasets/test_lmdb.py)."""
import os
import subprocess
import sys

import cv2
import lmdb
import numpy as np

from tests.helpers import write_image_folder, write_paired_folder
from toolbox.datasets.lmdb_utils import read_lmdb_image, read_meta_info


def test_cli_with_workers(tmp_path, repo_root):
    """With several workers every image lands under its own key: each value
    read back decodes to the pixels of the PNG it came from (a mix-up of
    keys and images between workers would show)."""
    root = write_paired_folder(tmp_path / 'src', count=5, size=16)
    src = root / 'target'
    # a sub-folder and images of another size: keys keep their folders
    write_image_folder(src / 'sub', count=2, size=12, seed=3)
    result = subprocess.run(
        [sys.executable, 'tools/create_lmdb.py', '--input', str(src),
         '--output', str(tmp_path / 't.lmdb'), '--workers', '2',
         '--compress-level', '3'],
        cwd=repo_root, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr
    assert '7 images' in result.stdout
    db = str(tmp_path / 't.lmdb')
    sources = {str(p.relative_to(src).with_suffix('')): p
               for p in src.rglob('*.png')}
    assert len(sources) == 7
    meta = read_meta_info(db)
    assert set(meta) == set(sources)
    with lmdb.open(db, readonly=True, lock=False) as env:
        with env.begin() as txn:
            stored = {k.decode() for k, _ in txn.cursor()}
    assert stored == set(sources)  # nothing more, nothing less
    for key, path in sources.items():
        expected = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        value = read_lmdb_image(db, key)
        assert value.shape == expected.shape == meta[key], key
        assert np.array_equal(value, expected), key


def test_a_symlink_loop_is_listed_once(tmp_path, repo_root):
    """``ln -s .. D/loop/up`` inside the input folder: each image is packed
    once (the loop used to multiply 6 images into 246 keys), with a warning
    naming the link."""
    src = write_image_folder(tmp_path / 'D', count=4, size=16)
    write_image_folder(src / 'loop', count=2, size=16, seed=1)
    os.symlink('..', src / 'loop' / 'up')
    result = subprocess.run(
        [sys.executable, 'tools/create_lmdb.py', '--input', str(src),
         '--output', str(tmp_path / 'd.lmdb')],
        cwd=repo_root, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr
    assert '6 images' in result.stdout
    assert len(read_meta_info(str(tmp_path / 'd.lmdb'))) == 6
    assert f'{src}/loop/up is a link to a folder already listed' in \
        result.stderr
