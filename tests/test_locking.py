"""toolbox/locking.py and the work dir lock (the tools' refusals are tested
through the tools: tests/tools/test_create_lmdb.py, test_reliability.py)."""
import os

import pytest
from mmengine.config import Config

from toolbox.engine.work_dir_lock import WORK_DIR_LOCK, work_dir_lock
from toolbox.locking import LockHeldError, exclusive_lock


def test_a_second_lock_in_the_same_process_is_refused(tmp_path):
    """POSIX record locks do not conflict within one process: the module
    refuses the second one itself (two runs in one notebook)."""
    path = tmp_path / 'x.lock'
    with exclusive_lock(str(path), 'busy: {holder} holds {lock}'):
        assert path.read_text().split()[0] == str(os.getpid())
        with pytest.raises(LockHeldError, match=f'busy: pid {os.getpid()} '
                           f'on .* holds {path}'):
            with exclusive_lock(str(path), 'busy: {holder} holds {lock}'):
                pass
    assert not path.exists()  # removed on release
    with exclusive_lock(str(path), 'busy'):  # and free again
        pass


def test_a_lock_file_without_a_live_holder_is_taken_over(tmp_path):
    path = tmp_path / 'x.lock'
    path.write_text('999999999 elsewhere\n')  # left by a killed run
    with exclusive_lock(str(path), 'busy'):
        assert path.read_text().split()[0] == str(os.getpid())


def test_only_rank_0_locks_the_work_dir(tmp_path, monkeypatch):
    cfg = Config(dict(work_dir=str(tmp_path), launcher='pytorch'))
    monkeypatch.setenv('RANK', '1')
    with work_dir_lock(cfg):
        assert not (tmp_path / WORK_DIR_LOCK).exists()
    monkeypatch.setenv('RANK', '0')
    with work_dir_lock(cfg):
        assert (tmp_path / WORK_DIR_LOCK).exists()
