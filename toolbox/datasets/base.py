"""What every toolbox data set shares: name, label, pipeline, bad samples."""
import logging
from typing import Optional, Sequence

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from toolbox.datasets.listing import IMG_EXTENSIONS
from toolbox.datasets.transforms.loading import ImageReadError, \
    SizeMismatchError
from toolbox.registry import TRANSFORMS


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
    """

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
        super().__init__(
            data_root=data_root, data_prefix=dict(data_prefix or {}),
            pipeline=build_pipeline(pipeline), metainfo=metainfo, **kwargs)
        # Set after construction: BaseDataset would try to open a string
        # metainfo value as a file and warn that it is not one.
        self._metainfo['dataset_name'] = self.name

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
