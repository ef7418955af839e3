"""What a config needs on disk, as the classes it names report it.

A registered class that reads files or folders (a dataset's images, a
model's pretrained weights, a teacher's checkpoint) may define a classmethod
``required_paths(cfg) -> List[RequiredPath]``: given its own config dict, it
says which paths it will open, without opening them.
:mod:`toolbox.app.input_check` collects these over a whole config and
reports every missing one at once, before a tool builds anything.

This module sits below ``datasets/`` and ``models/`` so both can use it.
"""
import os
import os.path as osp
from typing import List, NamedTuple

#: The kinds of path: a file, a folder, or a checkpoint (a file, or a work
#: dir holding MMEngine's ``last_checkpoint`` pointer).
KINDS = ('file', 'folder', 'checkpoint')


class RequiredPath(NamedTuple):
    """One path a config's class will read.

    Attributes:
        path: the path as the class will open it (``data_root`` joined in).
        kind: ``'file'``, ``'folder'`` or ``'checkpoint'`` (a file, or a
            folder with a ``last_checkpoint`` file).
        key: the config key that sets it, relative to the reporting
            config (``'data_root'``, ``'teachers.haze.checkpoint'``).
        what: what it is, for people (``"RESIDEDataset 'ots'"``).
        hint: where to get it (a docs page, a command).
        training_only: read only when training starts (``init_weights``:
            teachers, ``init_cfg=dict(type='Pretrained')``), not when a
            model is built to test or restore images.
        initial_weights: only initialises weights that the model's own
            checkpoints hold (UniRemovalDA's student, started from the KT
            stage): a run resumed from a checkpoint neither needs nor reads
            it, and the class accepts ``None`` at ``key`` for "do not
            load" (:func:`~toolbox.app.input_check.
            drop_initial_weights`).
    """
    path: str
    kind: str
    key: str
    what: str
    hint: str = ''
    training_only: bool = False
    initial_weights: bool = False


def normalize_path(path: str) -> str:
    """``~`` expanded and ``a/./b/`` written ``a/b`` (empty stays empty)."""
    path = os.fspath(path)
    return osp.normpath(osp.expanduser(path)) if path else path


def is_remote(path: str) -> bool:
    """Whether ``path`` is a URL (``https://``, ``s3://``): not checked."""
    return '://' in str(path)


def lmdb_paths(path: str, key: str, what: str,
               hint: str = '') -> List[RequiredPath]:
    """The folder of an LMDB made by ``tools/create_lmdb.py`` and the two
    files a dataset reads from it (``data.mdb``, ``meta_info.txt``)."""
    hint = hint or ('an LMDB is made from a folder by tools/create_lmdb.py '
                    '(docs/datasets.md#lmdb)')
    return [RequiredPath(path, 'folder', key, what, hint)] + [
        RequiredPath(osp.join(path, name), 'file', key, what, hint)
        for name in ('data.mdb', 'meta_info.txt')
    ]


__all__ = ['KINDS', 'RequiredPath', 'normalize_path', 'is_remote',
           'lmdb_paths']
