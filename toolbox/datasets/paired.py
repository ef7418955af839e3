"""Paired datasets: a degraded image and its clean target, matched by name."""
import re
from typing import Dict, List, Optional, Sequence

from toolbox.datasets.base import RestorationDataset, build_pipeline
from toolbox.datasets.listing import (IMG_EXTENSIONS, is_lmdb, list_images,
                                      parse_meta_info_line, scan_images,
                                      strip_image_extension)
from toolbox.registry import DATASETS

__all__ = [
    'PairedImageDataset', 'IMG_EXTENSIONS', 'scan_images', 'build_pipeline',
    'is_lmdb'
]


def _template_regex(template: str) -> 're.Pattern':
    """``'{}_rain'`` → a regex whose group 1 is what ``{}`` stood for."""
    if template.count('{}') != 1:
        raise ValueError(
            f"filename_tmpl entries need exactly one '{{}}', got {template!r}")
    before, after = template.split('{}')
    return re.compile(f'^{re.escape(before)}(.+){re.escape(after)}$')


@DATASETS.register_module()
class PairedImageDataset(RestorationDataset):
    r"""Degraded/target images in two folders (or LMDBs), paired by name.

    ``data_root/<data_prefix['img']>/a/b.png`` pairs with
    ``data_root/<data_prefix['gt']>/a/b.<any image extension>``. Two rules
    cover the benchmarks' other naming schemes, applied to the input's key
    (path without extension) in this order:

    * ``filename_tmpl=dict(img='{}_rain', gt='{}_clean')``: the part of the
      input's file name that ``{}`` stands for, put into the target's
      template (MMagic's convention);
    * ``gt_key_pattern``: a regular expression on the file name whose first
      group is the target's name, for many-to-one sets, e.g.
      ``r'^(.+)_\d+$'`` pairs ``901_1 … 901_14`` with ``901``.

    Args:
        data_root: root folder of the dataset.
        data_prefix: sub-folders of the degraded inputs (``img``) and the
            targets (``gt``). Either may be an LMDB made by
            ``tools/create_lmdb.py`` (a folder with ``data.mdb`` and
            ``meta_info.txt``): it is then read through MMEngine's
            ``LmdbBackend`` with the same pairing rules, so switching a
            config to LMDB means pointing ``data_prefix`` at
            ``input.lmdb``/``target.lmdb``.
        pipeline: transforms applied to each sample.
        name: the test set's name, used as metric prefix
            (``metainfo['dataset_name']``).
        degradation: label stored in every sample (``'rain'``, ...).
        filename_tmpl: name templates of the inputs and targets.
        gt_key_pattern: regular expression mapping input names to target
            names (first group); ``None`` pairs identical names.
        suffixes: image file extensions to look for.
        skip_bad: see :class:`~toolbox.datasets.base.RestorationDataset`
            (drop inputs without a target, logging the count).
        ann_file: optional list of the pairs to use, one per line, in
            order: BasicSR's ``meta_info_file`` and MMagic's ``ann_file``
            (``0001_s001.png (480,480,3)``, ``00001/0266 (256, 448, 3)`` or
            a bare name). The first field, without its image extension, is
            the name ``{}`` stands for in ``filename_tmpl`` (the target's
            name under BasicSR's ``filename_tmpl``), relative to the
            folder; a listed name without an input is an error naming the
            line (dropped and counted with ``skip_bad``). Relative to
            ``data_root``. ``''`` (default): every input.
        test_mode, lazy_init, ...: see :class:`mmengine.dataset.BaseDataset`.

    Each sample holds ``img_path``, ``gt_path``, ``key`` (the input's path
    relative to its folder, without extension), ``degradation`` and
    ``dataset_name`` (and ``img_backend_args``/``gt_backend_args`` for
    LMDB sides).
    """

    source_hint = ('paired folders: docs/datasets.md; the demo configs\' '
                   'data/demo is written by python tools/make_demo_data.py')

    def __init__(self,
                 data_root: str = '',
                 data_prefix: Optional[dict] = None,
                 pipeline: Sequence = (),
                 name: Optional[str] = None,
                 degradation: Optional[str] = None,
                 filename_tmpl: Optional[dict] = None,
                 gt_key_pattern: Optional[str] = None,
                 suffixes: Sequence[str] = IMG_EXTENSIONS,
                 **kwargs):
        self.gt_key_pattern = gt_key_pattern
        tmpl = {'img': '{}', 'gt': '{}', **(filename_tmpl or {})}
        self.filename_tmpl = tmpl
        self._img_tmpl = _template_regex(tmpl['img'])
        _template_regex(tmpl['gt'])  # validate early
        self._backend_args: Dict[str, Optional[dict]] = {}
        super().__init__(
            data_root=data_root,
            data_prefix=dict(data_prefix or dict(img='input', gt='target')),
            pipeline=pipeline, name=name, degradation=degradation,
            suffixes=suffixes, **kwargs)

    def _scan(self, side: str) -> Dict[str, str]:
        """Images of one side (folder or LMDB), keyed by relative path
        without extension; remembers the side's backend."""
        images, backend = list_images(self.data_prefix[side], self.suffixes,
                                      owner=self.name)
        self._backend_args[side] = backend
        return images

    def gt_key(self, key: str) -> Optional[str]:
        """The target key of an input key (``None`` if the input's name does
        not follow ``filename_tmpl['img']`` / ``gt_key_pattern``)."""
        folder, _, stem = key.rpartition('/')
        match = self._img_tmpl.match(stem)
        if match is None:
            return None
        stem = match.group(1)
        if self.gt_key_pattern is not None:
            match = re.match(self.gt_key_pattern, stem)
            if match is None:
                return None
            stem = match.group(1) if match.groups() else match.group(0)
        stem = self.filename_tmpl['gt'].format(stem)
        return f'{folder}/{stem}' if folder else stem

    def pair(self, inputs: Dict[str, str],
             targets: Dict[str, str]) -> List[dict]:
        """Samples for matched inputs/targets; an input without a target is
        an error naming it (dropped and counted with ``skip_bad``)."""
        pairs = [(key, path, targets.get(self.gt_key(key) or ''))
                 for key, path in inputs.items()]
        missing = [(key, path) for key, path, gt in pairs if gt is None]
        if missing and not self.skip_bad:
            key, path = missing[0]
            rule = ''
            if self.gt_key_pattern or \
                    self.filename_tmpl != dict(img='{}', gt='{}'):
                rule = (f' (filename_tmpl={self.filename_tmpl}, '
                        f'gt_key_pattern={self.gt_key_pattern!r})')
            raise FileNotFoundError(
                f'{self.name}: {len(missing)} input(s) have no matching '
                f'target in {self.data_prefix.get("gt", self.data_root)}'
                f'{rule}, e.g. {path} (expected target '
                f'{self.gt_key(key)!r})')
        self.report_skipped(len(missing), 'inputs without a target')
        return [
            dict(img_path=path, gt_path=gt, key=key,
                 img_backend_args=self._backend_args.get('img'),
                 gt_backend_args=self._backend_args.get('gt'),
                 degradation=self.degradation, dataset_name=self.name)
            for key, path, gt in pairs if gt is not None
        ]

    def drop_empty_files(self, images: Dict[str, str],
                         side: str) -> Dict[str, str]:
        """With ``skip_bad``, leave out zero-byte files (counted)."""
        if not self.skip_bad or self._backend_args.get(side):
            return images
        import os.path as osp
        kept = {k: p for k, p in images.items() if osp.getsize(p) > 0}
        self.report_skipped(len(images) - len(kept), f'empty {side} files')
        return kept

    def template_name(self, key: str) -> Optional[str]:
        """What ``{}`` stands for in ``filename_tmpl['img']`` for an input
        key, with its folder (``'a/0001'`` for ``'a/0001x4'`` under
        ``'{}x4'``); ``None`` when the name does not follow it."""
        folder, _, stem = key.rpartition('/')
        match = self._img_tmpl.match(stem)
        if match is None:
            return None
        return f'{folder}/{match.group(1)}' if folder else match.group(1)

    def select_listed(self, inputs: Dict[str, str]) -> Dict[str, str]:
        """The inputs ``ann_file`` lists, in its order (see the class
        docstring for the line format)."""
        by_name = {self.template_name(key): key for key in inputs}
        selected, missing = {}, []
        with open(self.ann_file) as f:
            for number, line in enumerate(f, start=1):
                try:
                    parsed = parse_meta_info_line(line)
                except ValueError as error:
                    raise ValueError(f'{self.name}: {self.ann_file}:{number}:'
                                     f' malformed line: {error}') from None
                if parsed is None:
                    continue
                name = parsed[0].lstrip('/')
                name = strip_image_extension(name, self.suffixes) or name
                if name in by_name:
                    selected[by_name[name]] = inputs[by_name[name]]
                else:
                    missing.append(f'{self.ann_file}:{number}: '
                                   f'{line.strip()!r}')
        if missing and not self.skip_bad:
            raise FileNotFoundError(
                f'{self.name}: {len(missing)} line(s) of the list name no '
                f'input in {self.data_prefix["img"]} (filename_tmpl '
                f'{self.filename_tmpl}), e.g. {missing[0]}')
        self.report_skipped(len(missing), 'listed names without an input')
        return selected

    def load_data_list(self) -> List[dict]:
        """Pair every input (every listed one, with ``ann_file``) with its
        target."""
        inputs = self.drop_empty_files(self._scan('img'), 'img')
        if self.ann_file:
            inputs = self.select_listed(inputs)
        targets = self.drop_empty_files(self._scan('gt'), 'gt')
        data = self.pair(inputs, targets)
        if not data:
            raise FileNotFoundError(
                f'{self.name}: no input in {self.data_prefix["img"]} has a '
                f'target in {self.data_prefix["gt"]}')
        return data
