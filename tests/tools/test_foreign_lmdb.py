"""tools/train.py on LMDBs laid out as BasicSR makes them.

``meta_info.txt`` lines start with the file name and its extension
(``000.png (64,64,3) 1``) while the key is stored without it; the demo LMDB
config trains on such databases unchanged.
"""
import sys

from tests.helpers import write_basicsr_lmdb, write_paired_folder
from tests.tools.test_train_test_tools import data_options, run_tool

CONFIG = 'configs/demo/tiny_restorer_lmdb.py'


def test_tiny_lmdb_config_trains_on_basicsr_made_databases(repo_root,
                                                           tmp_path):
    folders, lmdbs = tmp_path / 'folders', tmp_path / 'lmdb'
    write_paired_folder(folders / 'train', count=4, size=64)
    write_paired_folder(folders / 'test', count=2, size=32, seed=1)
    for split in ('train', 'test'):
        (lmdbs / split).mkdir(parents=True)
        for side in ('input', 'target'):
            write_basicsr_lmdb(folders / split / side,
                               lmdbs / split / f'{side}.lmdb')
    assert (lmdbs / 'train' / 'input.lmdb' / 'meta_info.txt').read_text() \
        .startswith('000.png (64,64,3) 1\n')
    work_dir = tmp_path / 'work'
    log = run_tool(repo_root, [
        sys.executable, 'tools/train.py', CONFIG, '--work-dir',
        str(work_dir), '--cfg-options'] + data_options(lmdbs))
    assert 'Iter(train) [2/2]' in log
    assert 'PSNR' in log
    assert (work_dir / 'iter_2.pth').is_file()
