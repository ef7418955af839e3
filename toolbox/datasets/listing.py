"""Listing the images of one side of a data set: a folder or an LMDB."""
import os
import os.path as osp
import struct
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


class LMDBError(OSError):
    """An LMDB database is damaged or incomplete (the message names it and
    says how to rebuild or check it)."""


def _rebuild_hint(db_path: str) -> str:
    return ('Rebuild it from its images with tools/create_lmdb.py --input '
            f'DIR --output {db_path} --overwrite.')


#: LMDB's meta pages (pages 0 and 1 of data.mdb, 64-bit little-endian
#: layout): after the 16-byte page header, ``mm_magic`` (uint32),
#: ``mm_version``, ``mm_address``, ``mm_mapsize`` (size_t), two ``MDB_db``
#: records of 48 bytes (the first one's ``md_pad`` holds the page size),
#: ``mm_last_pg`` and ``mm_txnid`` (size_t).
_LMDB_MAGIC = 0xBEEFC0DE
_META_MAGIC, _META_PAGE_SIZE, _META_LAST_PAGE = 16, 40, 136


def _lmdb_meta(head: bytes, offset: int):
    """``(page size, last page, txnid)`` of the meta page at ``offset``,
    or None when it is not one."""
    if len(head) < offset + _META_LAST_PAGE + 16:
        return None
    magic, = struct.unpack_from('<I', head, offset + _META_MAGIC)
    if magic != _LMDB_MAGIC:
        return None
    page_size, = struct.unpack_from('<I', head, offset + _META_PAGE_SIZE)
    last_page, txnid = struct.unpack_from('<QQ', head,
                                          offset + _META_LAST_PAGE)
    return page_size, last_page, txnid


def check_lmdb(db_path: str) -> None:
    """Cheap integrity check of an LMDB before anything maps its pages.

    LMDB memory-maps ``data.mdb``; reading a page beyond the end of a
    truncated file (an interrupted copy or download) kills the process
    with SIGBUS, naming nothing. The header (the two meta pages, read here
    as plain bytes) records the last page in use: a file shorter than
    ``(last page + 1) × page size``, or one whose header is not LMDB's, is
    refused. Each value's decode is checked where it is read
    (:func:`~toolbox.datasets.transforms.loading.decode_image`).

    Raises:
        LMDBError: naming the database, the sizes and the fix.
    """
    data = osp.join(db_path, 'data.mdb')
    size = osp.getsize(data)
    with open(data, 'rb') as file:
        head = file.read(2 * 65536)
    first = _lmdb_meta(head, 0)
    metas = [first] if first else []
    if first:
        metas.append(_lmdb_meta(head, first[0]))
    metas = [m for m in metas if m]
    if not metas:
        raise LMDBError(
            f'LMDB {db_path} is damaged: its data.mdb ({size} bytes) does '
            f'not begin with an LMDB header. {_rebuild_hint(db_path)}')
    page_size, last_page, _ = max(metas, key=lambda m: m[2])
    needed = (last_page + 1) * page_size
    if size < needed:
        raise LMDBError(
            f'LMDB {db_path} is damaged: data.mdb is {size} bytes, but its '
            f'header says the database fills {needed} bytes ({last_page + 1} '
            f'pages of {page_size}); the file was truncated (an interrupted '
            f'copy or download?). {_rebuild_hint(db_path)}')


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
        check_lmdb(path)
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
