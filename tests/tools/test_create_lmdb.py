"""tools/create_lmdb.py: the command line (the logic is tested in
tests/datasets/test_lmdb.py)."""
import os
import subprocess
import sys

from tests.helpers import write_paired_folder


def test_cli_with_workers(tmp_path, repo_root):
    root = write_paired_folder(tmp_path / 'src', count=3, size=16)
    result = subprocess.run(
        [sys.executable, 'tools/create_lmdb.py', '--input',
         str(root / 'target'), '--output', str(tmp_path / 't.lmdb'),
         '--workers', '2', '--compress-level', '3'],
        cwd=repo_root, capture_output=True, text=True, timeout=120,
        env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert '3 images' in result.stdout
    assert (tmp_path / 't.lmdb' / 'meta_info.txt').read_text().split(
        '\n')[0].endswith(' 3')
