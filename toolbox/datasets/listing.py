"""Listing the images of one side of a data set: a folder or an LMDB."""
import os
import os.path as osp
import re
import struct
import warnings
from typing import Dict, Optional, Sequence, Tuple

from toolbox.user_errors import UserError

#: Formats the toolbox writes (``tools/infer.py --output``).
WRITE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff',
                    '.webp', '.ppm', '.pgm')
#: Files listed as images in folders: what it writes, and GIF, which
#: OpenCV reads (from 4.11; an older one reports the file as undecodable)
#: and which the toolbox reads as its first frame, with a warning when it
#: has more (:func:`~toolbox.datasets.transforms.loading.decode_stored`).
#: Listed so that a GIF in a folder is treated as the same file given
#: alone, not left out without a word.
IMG_EXTENSIONS = WRITE_EXTENSIONS + ('.gif',)

META_FILE = 'meta_info.txt'


def scan_images(folder: str,
                suffixes: Sequence[str] = IMG_EXTENSIONS) -> Dict[str, str]:
    """Images under ``folder`` (recursively), keyed by their path relative to
    ``folder`` without the extension (``'scene1/0001'``), sorted by key.

    Symbolic links to folders are followed, each folder once: a link back
    to a folder already listed (a loop such as ``ln -s .. D/loop/up``, or
    a second link to one folder) is skipped with a warning naming it,
    instead of listing the same images again under longer names.

    Raises:
        UserError: two or more files have one key (``a.png`` and
            ``a.jpg``); the message names every such group.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'Image folder not found: {folder}')
    found = {}
    clashes: Dict[str, list] = {}
    suffixes = tuple(s.lower() for s in suffixes)
    seen = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        stat = os.stat(root)
        if (stat.st_dev, stat.st_ino) in seen:
            warnings.warn(f'{root} is a link to a folder already listed '
                          f'({osp.realpath(root)}): skipped')
            dirs[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        dirs.sort()
        for name in files:
            if name.lower().endswith(suffixes):
                path = osp.join(root, name)
                key = osp.splitext(osp.relpath(path, folder))[0]
                key = key.replace(os.sep, '/')
                if key in found:
                    clashes.setdefault(key, [found[key]]).append(path)
                    continue
                found[key] = path
    if clashes:
        raise _same_key_error(folder, clashes)
    return dict(sorted(found.items()))


def _same_key_error(folder: str, clashes: Dict[str, list]):
    """The error for files of ``folder`` that share a key: every group, in
    one line. (Reported once the whole folder is listed, so that one run
    names them all.)"""
    # Imported here: toolbox.engine (torch, MMEngine's runner) is more than
    # a listing of files should load.
    groups = '; '.join(f'{key!r}: ' + ', '.join(sorted(paths))
                       for key, paths in sorted(clashes.items()))
    return UserError(
        f'Images in {folder} share a name (their extensions aside): '
        f'{groups}. The toolbox knows an image by its path without the '
        'extension (to pair it, name its outputs, key it in an LMDB), so '
        'these would be taken for one image. Rename or remove all but one '
        'file of each name.')


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


class MetaInfoError(ValueError):
    """A ``meta_info.txt`` line names no image of its LMDB (or is
    malformed); the message names the file and the line."""


_SHAPE = re.compile(r'\(([^)]*)\)')


def parse_meta_info_line(line: str) -> Optional[Tuple[str, Optional[tuple]]]:
    """``(name, shape)`` of one ``meta_info.txt`` line, ``None`` for a blank
    one. Accepted: ``<name> (<h>,<w>,<c>) [<compression>]`` (BasicSR, the
    toolbox), ``<name> (<h>, <w>, <c>)`` (MMagic's Vimeo-90K lists) and a
    bare ``<name>`` (MMagic's CelebA-HQ lists); ``shape`` is ``None`` when
    the line gives none."""
    fields = line.split(maxsplit=1)
    if not fields:
        return None
    shape = None
    if len(fields) == 2:
        found = _SHAPE.search(fields[1])
        if found is None:
            raise ValueError(f'no (h,w,c) shape after the name: {line!r}')
        shape = tuple(int(v) for v in found.group(1).split(',') if v.strip())
    return fields[0], shape


def strip_image_extension(name: str,
                          suffixes: Sequence[str] = IMG_EXTENSIONS
                          ) -> Optional[str]:
    """``name`` without a trailing image extension (any case), or ``None``
    when it has none: ``'a.b.png'`` → ``'a.b'``, ``'a.b'`` → ``None``."""
    lower = name.lower()
    for suffix in suffixes:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[:-len(suffix)]
    return None


_LMDB_BACKENDS = {}


def _close_inherited(db_path: str) -> None:
    """Close the environments of ``db_path`` a forked process inherited.

    py-lmdb refuses to open a database that is already open in the
    process, and a dataloader worker forked after the main process read
    the database (a validation before training, a dataset probed by a
    tool) inherits that open environment. LMDB forbids using it across a
    fork; closing the child's copy only unmaps the child's pages and
    closes its descriptors (``lock=False``: no lock file is shared)."""
    for key in [k for k in _LMDB_BACKENDS
                if k[1] == db_path and k[0] != os.getpid()]:
        client = getattr(_LMDB_BACKENDS.pop(key), '_client', None)
        if client is not None:
            client.close()


def lmdb_backend(db_path: str):
    """The process's ``LmdbBackend`` of ``db_path``: one per database and
    process, opened lazily by its first read (so each dataloader worker
    opens its own; LMDB refuses to open one database twice in a process)."""
    from mmengine.fileio import LmdbBackend
    key = (os.getpid(), db_path)
    if key not in _LMDB_BACKENDS:
        _close_inherited(db_path)
        # A truncated data.mdb would kill the process (SIGBUS) on a read.
        check_lmdb(db_path)
        _LMDB_BACKENDS[key] = LmdbBackend(db_path)
    return _LMDB_BACKENDS[key]


def lmdb_keys(db_path: str) -> set:
    """Every key stored in the LMDB ``db_path`` (read-only, keys only).

    Uses the process's open environment when reading has opened one;
    otherwise opens the database for this and closes it again, so listing
    leaves nothing open (datasets are listed before workers fork)."""
    import lmdb
    env = getattr(_LMDB_BACKENDS.get((os.getpid(), db_path)), '_client', None)
    own = env is None
    if own:
        env = lmdb.open(db_path, readonly=True, lock=False, readahead=False,
                        meminit=False)
    try:
        with env.begin(write=False) as txn:
            return {bytes(k).decode('utf-8', 'replace')
                    for k in txn.cursor().iternext(keys=True, values=False)}
    finally:
        if own:
            env.close()


def read_meta_info(db_path: str,
                   check_keys: bool = True) -> Dict[str, Optional[tuple]]:
    """Stored keys (in file order) and shapes listed in an LMDB's
    ``meta_info.txt``.

    The first field of a line is the key as stored (the toolbox's older
    databases, MMagic's key lists) or the image's file name with its
    extension, stored without it (BasicSR's ``make_lmdb_from_imgs``, the
    toolbox's ``create_lmdb``: ``0001.png (96,96,3) 1`` for key ``0001``).
    With ``check_keys`` each field is checked against the database: taken
    as a key when it is one, otherwise without its image extension; so a
    name with dots (``img.v2.png`` → ``img.v2``) is never cut at the wrong
    place. Without ``check_keys`` the field is taken as it stands.

    Raises:
        FileNotFoundError: no ``meta_info.txt``.
        MetaInfoError: a line is malformed, names no stored key (either
            way), or names a key another line already named; the message
            gives the file, the line number and the line.
    """
    meta = osp.join(db_path, META_FILE)
    if not osp.isfile(meta):
        raise FileNotFoundError(
            f'{META_FILE} not found in LMDB {db_path}: it lists the keys; '
            'create the database with tools/create_lmdb.py')
    stored = lmdb_keys(db_path) if check_keys else None
    entries: Dict[str, Optional[tuple]] = {}
    line_of: Dict[str, int] = {}
    missing = []
    with open(meta) as f:
        for number, line in enumerate(f, start=1):
            try:
                parsed = parse_meta_info_line(line)
            except ValueError as error:
                raise MetaInfoError(f'{meta}:{number}: malformed line: '
                                    f'{error}') from None
            if parsed is None:
                continue
            name, shape = parsed
            key = name
            if stored is not None and name not in stored:
                stem = strip_image_extension(name)
                if stem is None or stem not in stored:
                    missing.append((number, line.strip(), name, stem))
                    continue
                key = stem
            if key in entries:
                raise MetaInfoError(
                    f'{meta}:{number}: {line.strip()!r} names key {key!r}, '
                    f'which line {line_of[key]} already named')
            entries[key] = shape
            line_of[key] = number
    if missing:
        number, line, name, stem = missing[0]
        tried = repr(name) + (f' nor {stem!r}' if stem else '')
        more = f' ({len(missing)} such lines in all)' if len(missing) > 1 \
            else ''
        raise MetaInfoError(
            f'{meta}:{number}: {line!r} names no image of the LMDB: neither '
            f'{tried} is a key of {db_path}{more}. A line starts with the '
            'stored key or with the file name whose extension was dropped '
            'to make the key (BasicSR, MMagic).')
    return entries


def list_images(path: str, suffixes: Sequence[str] = IMG_EXTENSIONS,
                owner: str = 'dataset',
                allow_empty: bool = False
                ) -> Tuple[Dict[str, str], Optional[dict]]:
    """The images of one side: ``(key → path, backend_args)``.

    ``path`` is a folder (searched recursively; paths are files) or an LMDB
    made by ``tools/create_lmdb.py``, BasicSR or MMagic (the stored keys
    that ``meta_info.txt`` lists stand in for paths, see
    :func:`read_meta_info`; ``backend_args`` is
    ``dict(backend='lmdb', db_path=path)``
    for :class:`~toolbox.datasets.transforms.LoadImageFromFile`). Keys are
    relative paths without extension in both cases, so both pair alike.

    Raises ``FileNotFoundError`` naming ``owner``, the folder and the
    extensions searched when nothing is found (unless ``allow_empty``).
    """
    path = path.rstrip('/') or path
    if is_lmdb(path):
        check_lmdb(path)
        try:
            keys = read_meta_info(path)
        except MetaInfoError as error:
            raise MetaInfoError(f'{owner}: {error}') from None
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
