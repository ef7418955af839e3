"""Listing the images of one side of a data set: a folder or an LMDB."""
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp',
                  '.ppm', '.pgm')

META_FILE = 'meta_info.txt'


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
                key = key.replace(os.sep, '/')
                if key in found:
                    raise ValueError(
                        f'Two images in {folder} share the name {key!r} '
                        f'(different extensions): {found[key]} and {path}')
                found[key] = path
    return dict(sorted(found.items()))


def is_lmdb(path: str) -> bool:
    """Whether ``path`` is an LMDB folder (it holds ``data.mdb``)."""
    return osp.isfile(osp.join(path, 'data.mdb'))


def read_meta_info(db_path: str) -> Dict[str, Tuple[int, ...]]:
    """Keys (in file order) and shapes listed in an LMDB's ``meta_info.txt``
    (lines ``<key> (<h>,<w>,<c>) <compression>``)."""
    meta = osp.join(db_path, META_FILE)
    if not osp.isfile(meta):
        raise FileNotFoundError(
            f'{META_FILE} not found in LMDB {db_path}: it lists the keys; '
            'create the database with tools/create_lmdb.py')
    entries = {}
    with open(meta) as f:
        for number, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 2:
                raise ValueError(f'{meta}:{number}: malformed line {line!r}')
            shape = tuple(int(v) for v in fields[1].strip('()').split(','))
            entries[fields[0]] = shape
    return entries


def list_images(path: str, suffixes: Sequence[str] = IMG_EXTENSIONS,
                owner: str = 'dataset',
                allow_empty: bool = False
                ) -> Tuple[Dict[str, str], Optional[dict]]:
    """The images of one side: ``(key → path, backend_args)``.

    ``path`` is a folder (searched recursively; paths are files) or an LMDB
    made by ``tools/create_lmdb.py`` (keys from ``meta_info.txt`` stand in
    for paths; ``backend_args`` is ``dict(backend='lmdb', db_path=path)``
    for :class:`~toolbox.datasets.transforms.LoadImageFromFile`). Keys are
    relative paths without extension in both cases, so both pair alike.

    Raises ``FileNotFoundError`` naming ``owner``, the folder and the
    extensions searched when nothing is found (unless ``allow_empty``).
    """
    path = path.rstrip('/') or path
    if is_lmdb(path):
        keys = read_meta_info(path)
        if not keys and not allow_empty:
            raise FileNotFoundError(
                f'{owner}: LMDB {path} lists no keys in {META_FILE}')
        return {k: k for k in keys}, dict(backend='lmdb', db_path=path)
    if not osp.isdir(path):
        raise FileNotFoundError(f'{owner}: image folder not found: {path}')
    images = scan_images(path, suffixes)
    if not images and not allow_empty:
        raise FileNotFoundError(
            f'{owner}: no images found in {path} (searched recursively for '
            f'{", ".join(suffixes)}).')
    return images, None
