"""LMDB image databases in the format BasicSR and MMagic users already have.

A database is a folder ``X.lmdb`` holding LMDB's ``data.mdb``/``lock.mdb``
and a ``meta_info.txt`` with one line per image::

    <key> (<h>,<w>,<c>) <compression level>

Values are the encoded image bytes (PNG by default), keys the image paths
relative to the source folder without extension (``scene1/0001``), so names
with dots and sub-folders work.

Crash safety: :func:`create_lmdb` builds into ``X.lmdb.partial`` and renames
it to ``X.lmdb`` only when complete, so ``X.lmdb`` is never half-written.
Images are committed in transactions of ``commit_every``; rerunning after a
crash reopens the partial database and skips the keys it already holds.
"""
import os
import os.path as osp
import shutil
from multiprocessing import Pool
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np
from tqdm import tqdm

from toolbox.datasets.listing import (IMG_EXTENSIONS, META_FILE, is_lmdb,
                                      read_meta_info, scan_images)

__all__ = ['create_lmdb', 'is_lmdb', 'read_meta_info', 'read_lmdb_image',
           'META_FILE', 'LMDBError']


class LMDBError(OSError):
    """An LMDB database is damaged or incomplete (the message names it and
    says how to rebuild or check it)."""


def _encode(job) -> Tuple[str, bytes, Tuple[int, int, int]]:
    key, path, level = job
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise OSError(f'Cannot read image {path}')
    ok, buffer = cv2.imencode('.png', img, [cv2.IMWRITE_PNG_COMPRESSION,
                                            level])
    if not ok:
        raise OSError(f'Cannot encode {path} as PNG')
    h, w = img.shape[:2]
    c = 1 if img.ndim == 2 else img.shape[2]
    return key, buffer.tobytes(), (h, w, c)


def _existing_keys(env) -> set:
    with env.begin(write=False) as txn:
        # Keys only: values of a large database need not be read.
        return {bytes(k).decode('ascii')
                for k in txn.cursor().iternext(keys=True, values=False)}


def create_lmdb(input_dir: str, output: str, compress_level: int = 1,
                workers: int = 1, commit_every: int = 500,
                overwrite: bool = False, progress: bool = True,
                map_size: Optional[int] = None) -> int:
    """Pack every image under ``input_dir`` into the LMDB ``output``.

    Returns the number of images in the finished database.
    """
    import lmdb
    output = output.rstrip('/')
    if not output.endswith('.lmdb'):
        raise ValueError(f'LMDB output folders end with .lmdb, got {output}')
    if osp.exists(output) and not overwrite:
        raise FileExistsError(
            f'{output} exists; pass --overwrite to rebuild it (the old '
            'database stays usable until the new one is complete)')
    images = scan_images(input_dir, IMG_EXTENSIONS)
    if not images:
        raise FileNotFoundError(f'No images found in {input_dir}')
    bad = [k for k in images if not k.isascii() or ' ' in k]
    if bad:
        raise ValueError(f'LMDB keys must be ASCII without spaces: {bad[:3]}')
    partial = output + '.partial'
    if map_size is None:
        total = sum(osp.getsize(p) for p in images.values())
        map_size = max(10 * total, 1 << 26)
    os.makedirs(osp.dirname(osp.abspath(partial)), exist_ok=True)
    env = lmdb.open(partial, map_size=map_size)
    done = _existing_keys(env)
    meta_path = osp.join(partial, META_FILE + '.partial')
    shapes = dict(_read_partial_meta(meta_path))
    jobs = [(k, p, compress_level) for k, p in images.items()
            if k not in done or k not in shapes]
    bar = tqdm(total=len(images), initial=len(images) - len(jobs),
               desc=f'lmdb {osp.basename(output)}', disable=not progress)
    pool = Pool(workers) if workers > 1 else None
    results = pool.imap(_encode, jobs, chunksize=8) if pool else map(
        _encode, jobs)
    try:
        batch: List = []
        for item in results:
            batch.append(item)
            if len(batch) >= commit_every:
                _commit(env, batch, shapes, meta_path)
                bar.update(len(batch))
                batch = []
        _commit(env, batch, shapes, meta_path)
        bar.update(len(batch))
    finally:
        bar.close()
        if pool:
            pool.close()
            pool.join()
        env.close()
    with open(osp.join(partial, META_FILE), 'w') as f:
        for key in images:
            h, w, c = shapes[key]
            f.write(f'{key} ({h},{w},{c}) {compress_level}\n')
    os.remove(meta_path)
    if osp.exists(output):
        shutil.rmtree(output)
    os.replace(partial, output)
    return len(images)


def _read_partial_meta(path: str) -> Iterator[Tuple[str, tuple]]:
    if not osp.isfile(path):
        return
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 2:
                yield fields[0], tuple(int(v) for v in fields[1].split(','))


def _commit(env, batch, shapes, meta_path) -> None:
    """Write one transaction, then record its shapes (after the commit, so
    the side file never lists a key the database lacks)."""
    if not batch:
        return
    with env.begin(write=True) as txn:
        for key, value, _ in batch:
            txn.put(key.encode('ascii'), value)
    with open(meta_path, 'a') as f:
        for key, _, shape in batch:
            shapes[key] = shape
            f.write(f'{key} {",".join(map(str, shape))}\n')
        f.flush()
        os.fsync(f.fileno())


def read_lmdb_image(db_path: str, key: str) -> np.ndarray:
    """Decode one value (for checks and tests); uint8 as stored (BGR)."""
    from mmengine.fileio import LmdbBackend
    value = LmdbBackend(db_path).get(key)
    if value is None:
        raise KeyError(f'{key!r} is not in LMDB {db_path}')
    return cv2.imdecode(np.frombuffer(value, np.uint8), cv2.IMREAD_UNCHANGED)
