"""What every toolbox data set shares: name, label, pipeline, bad samples."""
import logging
from typing import List, Optional, Sequence

import torch
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from toolbox.datasets.listing import IMG_EXTENSIONS, is_lmdb
from toolbox.datasets.transforms.loading import ImageReadError, \
    SizeMismatchError
from toolbox.registry import TRANSFORMS
from toolbox.required_paths import RequiredPath, lmdb_paths, normalize_path


def build_pipeline(pipeline: Sequence) -> list:
    """Build transform configs from the toolbox registry.

    ``BaseDataset`` would build them from MMEngine's root registry, where a
    bare name like ``LoadImageFromFile`` means mmcv's transform unless a
    Runner has set ``default_scope='toolbox'``.
    """
    return [
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline
    ]


class RestorationDataset(BaseDataset):
    """Base of the toolbox's image data sets (not registered).

    Args:
        data_root, data_prefix, pipeline, test_mode, ...: see
            :class:`mmengine.dataset.BaseDataset`.
        name: the set's name, used as metric prefix
            (``metainfo['dataset_name']``, and in every sample).
        degradation: label stored in every sample (``'rain'``, ...).
        suffixes: image file extensions to look for.
        skip_bad: ``False`` (default): a bad sample (unreadable, truncated or
            empty file, missing partner, size mismatch) is an error naming
            the file and this data set. ``True``: while listing, inputs
            without a partner and empty files are dropped; while training,
            a sample that fails to load is replaced by another one. Each
            skip is logged with the running count. Test sets never skip
            at load time (an evaluation must cover every image).

    :meth:`required_paths` says which folders and files a config of the
    set reads, so that tools report every missing one before they start.

    The training epoch (:meth:`set_epoch`, which
    :class:`~toolbox.engine.dataset_epoch.DatasetEpochHook` calls before
    every training epoch) reaches every sample as ``results['epoch']``
    (``None`` until set), for transforms that change with it
    (``Resize(late_size=..., late_from_epoch=...)``).
    """

    #: Where to get the set's files, shown when they are missing.
    source_hint = 'layouts and sources: docs/datasets.md'

    def __init__(self, data_root: str = '', data_prefix: Optional[dict] = None,
                 pipeline: Sequence = (), name: Optional[str] = None,
                 degradation: Optional[str] = None,
                 suffixes: Sequence[str] = IMG_EXTENSIONS,
                 skip_bad: bool = False, metainfo: Optional[dict] = None,
                 **kwargs):
        self.name = name or type(self).__name__
        self.degradation = degradation
        self.suffixes = tuple(suffixes)
        self.skip_bad = skip_bad
        self.num_skipped = 0
        # In shared memory: dataloader workers (persistent ones too, which
        # keep their copy of the dataset across epochs) read the epoch the
        # main process sets, whether they were forked or spawned.
        self._epoch = torch.full((1, ), -1, dtype=torch.int64).share_memory_()
        super().__init__(
            data_root=data_root, data_prefix=dict(data_prefix or {}),
            pipeline=build_pipeline(pipeline), metainfo=metainfo, **kwargs)
        # Set after construction: BaseDataset would try to open a string
        # metainfo value as a file and warn that it is not one.
        self._metainfo['dataset_name'] = self.name

    def set_epoch(self, epoch: int) -> None:
        """Set the training epoch (0-based) every later sample carries, in
        this process and in every dataloader worker."""
        if int(epoch) < 0:
            raise ValueError(f'{self.name}: epoch must be >= 0, got {epoch}')
        self._epoch.fill_(int(epoch))

    @property
    def epoch(self) -> Optional[int]:
        """The training epoch set last, ``None`` before any."""
        value = int(self._epoch.item())
        return None if value < 0 else value

    def get_data_info(self, idx: int) -> dict:
        """MMEngine's data info, with the training epoch (``'epoch'``)."""
        info = super().get_data_info(idx)
        info['epoch'] = self.epoch
        return info

    @classmethod
    def required_paths(cls, cfg: dict) -> List[RequiredPath]:
        """The folders and files a set built from ``cfg`` reads, without
        reading them: the set is made with ``lazy_init=True`` and no
        pipeline, and :meth:`input_paths` lists its resolved paths."""
        args = {key: value for key, value in cfg.items()
                if key not in ('type', '_scope_')}
        args.update(pipeline=(), lazy_init=True)
        return cls(**args).input_paths()

    def input_paths(self) -> List[RequiredPath]:
        """``data_root``, each ``data_prefix`` side (an LMDB side: its
        folder, ``data.mdb`` and ``meta_info.txt``) and ``ann_file``, as
        this set will open them. Subclasses that read more say so here."""
        what = type(self).__name__
        if self.name != what:
            what = f'{what} {self.name!r}'
        paths = []
        if self.data_root:
            paths.append(RequiredPath(normalize_path(self.data_root),
                                      'folder', 'data_root', what,
                                      self.source_hint))
        for side, prefix in self.data_prefix.items():
            path, key = normalize_path(prefix), f'data_prefix.{side}'
            if not path:
                continue
            if path.endswith('.lmdb') or is_lmdb(path):
                paths += lmdb_paths(path, key, what)
            else:
                paths.append(RequiredPath(path, 'folder', key, what,
                                          self.source_hint))
        if self.ann_file:
            paths.append(RequiredPath(normalize_path(self.ann_file), 'file',
                                      'ann_file', what, self.source_hint))
        return paths

    def report_skipped(self, count: int, what: str) -> None:
        """Log that ``count`` items were dropped (only with ``skip_bad``)."""
        if count:
            print_log(f'{self.name}: skipped {count} {what} (skip_bad=True)',
                      logger='current', level=logging.WARNING)

    def prepare_data(self, idx: int):
        """Run the pipeline; failures name this data set (and, with
        ``skip_bad`` in training, return ``None`` so another sample is
        drawn)."""
        try:
            return super().prepare_data(idx)
        except (ImageReadError, SizeMismatchError) as error:
            if self.skip_bad and not self.test_mode:
                self.num_skipped += 1
                print_log(
                    f'{self.name}: skipping sample {idx}: {error} '
                    f'({self.num_skipped} skipped so far in this process)',
                    logger='current', level=logging.WARNING)
                return None
            raise type(error)(f'{self.name}: {error}') from error
