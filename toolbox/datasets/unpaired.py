"""Unpaired and no-reference image sets (real-world data has no targets)."""
import random
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset

from toolbox.datasets.paired import (IMG_EXTENSIONS, build_pipeline,
                                     scan_images)
from toolbox.registry import DATASETS


class _FolderDataset(BaseDataset):
    """Shared constructor: name, degradation label, suffixes, pipeline."""

    def __init__(self, data_root: str = '', data_prefix: Optional[dict] = None,
                 pipeline: Sequence = (), name: Optional[str] = None,
                 degradation: Optional[str] = None,
                 suffixes: Sequence[str] = IMG_EXTENSIONS,
                 metainfo: Optional[dict] = None, **kwargs):
        self.name = name or type(self).__name__
        self.degradation = degradation
        self.suffixes = tuple(suffixes)
        super().__init__(
            data_root=data_root, data_prefix=data_prefix,
            pipeline=build_pipeline(pipeline),
            metainfo=dict(metainfo or {}, dataset_name=self.name), **kwargs)

    def _scan(self, key: str) -> List[str]:
        folder = self.data_prefix[key]
        images = scan_images(folder, self.suffixes)
        if not images:
            raise FileNotFoundError(
                f'{self.name}: no images found in {folder} (searched '
                f'recursively for {", ".join(self.suffixes)}).')
        return list(images.values())


@DATASETS.register_module()
class ImageFolderDataset(_FolderDataset):
    """Degraded images without targets (real-world test sets: URHI/RTTS,
    SPA real rain, ...), for no-reference metrics and inference.

    Args:
        data_prefix: ``dict(img=<sub-folder>)`` (default: ``data_root``).
    """

    def __init__(self, data_prefix: Optional[dict] = None, **kwargs):
        super().__init__(data_prefix=data_prefix or dict(img=''), **kwargs)

    def load_data_list(self) -> List[dict]:
        return [
            dict(img_path=path, degradation=self.degradation,
                 dataset_name=self.name) for path in self._scan('img')
        ]


@DATASETS.register_module()
class UnpairedImageDataset(_FolderDataset):
    """Two unrelated folders: degraded domain A (``img``) and clean domain B
    (``ref``), as CycleGAN-style and domain-adaptation training use them.

    The length is that of domain A. In training each A image gets a B image
    drawn at random (Python's ``random``, seeded per worker by MMEngine); in
    ``test_mode`` the B image is ``B[i % len(B)]``, so evaluation is
    deterministic.

    Args:
        data_prefix: ``dict(img=<domain A folder>, ref=<domain B folder>)``.
    """

    def __init__(self, data_prefix: Optional[dict] = None, **kwargs):
        super().__init__(
            data_prefix=data_prefix or dict(img='trainA', ref='trainB'),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        self.ref_paths = self._scan('ref')
        return [
            dict(img_path=path, degradation=self.degradation,
                 dataset_name=self.name) for path in self._scan('img')
        ]

    def prepare_data(self, idx: int):
        info = self.get_data_info(idx)
        if self.test_mode:
            ref = self.ref_paths[idx % len(self.ref_paths)]
        else:
            ref = random.choice(self.ref_paths)
        info['ref_path'] = ref
        return self.pipeline(info)
