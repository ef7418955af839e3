"""Paired datasets: a degraded image and its clean target, matched by name."""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from mmengine.dataset import BaseDataset

from toolbox.registry import DATASETS, TRANSFORMS

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp',
                  '.ppm', '.pgm')


def build_pipeline(pipeline: Sequence) -> list:
    """Build transform configs from the toolbox registry.

    ``BaseDataset`` would build them from MMEngine's root registry, where a
    bare name like ``LoadImageFromFile`` means mmcv's transform unless a
    Runner has set ``default_scope='toolbox'``.
    """
    return [
        TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline
    ]


def scan_images(folder: str,
                suffixes: Sequence[str] = IMG_EXTENSIONS) -> Dict[str, str]:
    """Images under ``folder`` (recursively), keyed by their path relative to
    ``folder`` without the extension (``'scene1/0001'``), sorted by key."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'Image folder not found: {folder}')
    found = {}
    suffixes = tuple(s.lower() for s in suffixes)
    for root, _, files in os.walk(folder, followlinks=True):
        for name in files:
            if name.lower().endswith(suffixes):
                path = osp.join(root, name)
                key = osp.splitext(osp.relpath(path, folder))[0]
                found[key.replace(os.sep, '/')] = path
    return dict(sorted(found.items()))


@DATASETS.register_module()
class PairedImageDataset(BaseDataset):
    """Degraded/target images in two folders, paired by file name.

    ``data_root/<data_prefix['img']>/a/b.png`` pairs with
    ``data_root/<data_prefix['gt']>/a/b.<any image extension>``. With
    ``gt_key_pattern``, several inputs share one target (many-to-one): the
    regular expression's first group, matched on the input's key (path
    without extension), is the target's key; e.g. ``r'^(.+)_\d+$'`` pairs
    ``901_1 … 901_14`` with ``901``.

    Args:
        data_root: root folder of the dataset.
        data_prefix: sub-folders of the degraded inputs (``img``) and the
            targets (``gt``).
        pipeline: transforms applied to each sample.
        name: the test set's name, used as metric prefix
            (``metainfo['dataset_name']``).
        degradation: label stored in every sample (``'rain'``, ...).
        gt_key_pattern: regular expression mapping input keys to target keys
            (first group); ``None`` pairs identical names.
        suffixes: image file extensions to look for.
        test_mode, lazy_init, ...: see :class:`mmengine.dataset.BaseDataset`.

    Each sample holds ``img_path``, ``gt_path``, ``key``, ``degradation`` and
    ``dataset_name``.

    LMDB: a ``data_prefix`` entry that is an LMDB folder (made by
    ``tools/create_lmdb.py``) is read through MMEngine's ``LmdbBackend``
    instead of the file system, with the same pairing rules: switching a
    config to LMDB means pointing ``data_prefix`` at ``input.lmdb`` and
    ``target.lmdb``.
    """

    def __init__(self,
                 data_root: str = '',
                 data_prefix: Optional[dict] = None,
                 pipeline: Sequence = (),
                 name: Optional[str] = None,
                 degradation: Optional[str] = None,
                 gt_key_pattern: Optional[str] = None,
                 suffixes: Sequence[str] = IMG_EXTENSIONS,
                 metainfo: Optional[dict] = None,
                 **kwargs):
        self.name = name or type(self).__name__
        self.degradation = degradation
        self.gt_key_pattern = gt_key_pattern
        self._backend_args: Dict[str, dict] = {}
        self.suffixes = tuple(suffixes)
        metainfo = dict(metainfo or {}, dataset_name=self.name)
        super().__init__(
            data_root=data_root,
            data_prefix=dict(data_prefix or dict(img='input', gt='target')),
            pipeline=build_pipeline(pipeline),
            metainfo=metainfo,
            **kwargs)

    def _scan(self, key: str) -> Dict[str, str]:
        """Images of one side: a folder, or an LMDB (``*.lmdb`` with
        ``meta_info.txt``), whose keys stand in for paths."""
        from toolbox.datasets.lmdb_utils import is_lmdb, read_meta_info
        folder = self.data_prefix[key]
        if is_lmdb(folder):
            self._backend_args[key] = dict(backend='lmdb', db_path=folder)
            return {k: k for k in read_meta_info(folder)}
        images = scan_images(folder, self.suffixes)
        if not images:
            raise FileNotFoundError(
                f'{self.name}: no images found in {folder} (searched '
                f'recursively for {", ".join(self.suffixes)}).')
        return images

    def gt_key(self, key: str) -> str:
        """The target key of an input key (see ``gt_key_pattern``)."""
        if self.gt_key_pattern is None:
            return key
        folder, _, stem = key.rpartition('/')
        match = re.match(self.gt_key_pattern, stem)
        if match is None:
            raise ValueError(
                f'{self.name}: input {key!r} does not match gt_key_pattern '
                f'{self.gt_key_pattern!r}')
        stem = match.group(1) if match.groups() else match.group(0)
        return f'{folder}/{stem}' if folder else stem

    def pair(self, inputs: Dict[str, str],
             targets: Dict[str, str]) -> List[dict]:
        """Samples for matched inputs/targets; a missing target is an error."""
        pairs = [(key, path, targets.get(self.gt_key(key)))
                 for key, path in inputs.items()]
        missing = [path for _, path, gt in pairs if gt is None]
        if missing:
            raise FileNotFoundError(
                f'{self.name}: {len(missing)} input(s) have no matching '
                f'target in {self.data_prefix.get("gt", self.data_root)}, '
                f'e.g. {missing[0]}')
        return [
            dict(img_path=path, gt_path=gt, key=key,
                 img_backend_args=self._backend_args.get('img'),
                 gt_backend_args=self._backend_args.get('gt'),
                 degradation=self.degradation, dataset_name=self.name)
            for key, path, gt in pairs
        ]

    def load_data_list(self) -> List[dict]:
        """Pair every input with its target."""
        return self.pair(self._scan('img'), self._scan('gt'))
