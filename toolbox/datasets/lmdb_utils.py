"""LMDB image databases in the format BasicSR and MMagic users already have.

A database is a folder ``X.lmdb`` holding LMDB's ``data.mdb``/``lock.mdb``
and a ``meta_info.txt`` with one line per image, BasicSR's
``make_lmdb_from_imgs`` convention::

    <key>.png (<h>,<w>,<c>) <compression level>

Values are the PNG-encoded images, keys the image paths relative to the
source folder without extension (``scene1/0001``); a line names the key
with ``.png`` appended, as BasicSR writes it. The toolbox reads keys with
dots and sub-folders (:func:`~toolbox.datasets.listing.read_meta_info`
checks each line against the stored keys). BasicSR's and MMEditing's LMDB
datasets cut a line at its first dot, so they read a database only when no
key has a dot in it (:func:`keys_unreadable_elsewhere`); ``create_lmdb``
warns otherwise (:class:`DottedKeyWarning`).

Crash safety: :func:`create_lmdb` builds into ``X.lmdb.partial`` and renames
it to ``X.lmdb`` only when complete, so ``X.lmdb`` is never half-written.
Images are committed in transactions of ``commit_every``; rerunning after a
crash reopens the partial database and skips the keys it already holds.

A partial database is bound to its source: it records the source folder
(``source.json``) and, per key, the identity of the file packed under it
(relative name, size, ``mtime_ns``, PNG level). A rerun resumes only a
partial of the same folder and reuses only the keys whose file is
unchanged; a partial of another folder is refused
(:class:`StalePartialError`), or discarded with a warning under
``overwrite``. The whole build holds a lock on ``X.lmdb.lock``
(:func:`toolbox.locking.exclusive_lock`): a second build of the same
output at the same time is refused.
"""
import json
import os
import os.path as osp
import shutil
import warnings
from multiprocessing import Pool
from typing import Iterator, List, Optional, Tuple

import cv2

from toolbox.datasets.listing import (IMG_EXTENSIONS, META_FILE, LMDBError,
                                      check_lmdb, is_lmdb, lmdb_keys,
                                      read_meta_info, scan_images,
                                      strip_image_extension)
from toolbox.datasets.transforms.loading import ImageReadError, decode_stored
from toolbox.fileio import atomic_write_text
from toolbox.locking import exclusive_lock
from toolbox.progress import progress_bar
from toolbox.user_errors import UserError

__all__ = ['create_lmdb', 'is_lmdb', 'read_meta_info',
           'META_FILE', 'meta_info_line', 'keys_unreadable_elsewhere',
           'DottedKeyWarning', 'LMDBError', 'check_lmdb', 'verify_lmdb',
           'BadImagesError', 'BAD_REPORT_SUFFIX', 'StalePartialError',
           'OutputExistsError', 'check_output_name', 'check_key_names',
           'unusable_key', 'LOCK_SUFFIX', 'PARTIAL_SUFFIX', 'SOURCE_FILE']


class DottedKeyWarning(UserWarning):
    """Keys with a dot: BasicSR and MMEditing will not find those images."""


def meta_info_line(key: str, shape: Tuple[int, int, int],
                   compress_level: int) -> str:
    """One ``meta_info.txt`` line as BasicSR writes it: the key with
    ``.png`` appended (the value is a PNG), the shape, the PNG level."""
    h, w, c = shape
    return f'{key}.png ({h},{w},{c}) {compress_level}'


def keys_unreadable_elsewhere(keys) -> List[str]:
    """The keys that BasicSR's ``paired_paths_from_lmdb`` and MMEditing
    0.x's ``SRLmdbDataset`` would get wrong: they take a line up to its
    first dot as the key, so a key with a dot anywhere (``img.v2``,
    ``scene.1/0001``) is cut short (``img``, ``scene``)."""
    return [key for key in keys if '.' in key]


class BadImagesError(ValueError):
    """Some source images do not decode; the database was not finalised
    (the message lists them)."""


#: Where ``create_lmdb(..., skip_bad=True)`` lists the files it left out:
#: next to the database, ``X.lmdb`` + this suffix.
BAD_REPORT_SUFFIX = '.bad_files.txt'
#: The database under construction: ``X.lmdb`` + this suffix.
PARTIAL_SUFFIX = '.partial'
#: The lock a build holds, next to the database: ``X.lmdb`` + this suffix.
LOCK_SUFFIX = '.lock'
#: Inside ``X.lmdb.partial``: the source folder the partial is a build of.
SOURCE_FILE = 'source.json'


class OutputExistsError(FileExistsError):
    """The database exists and ``overwrite`` was not given."""


class StalePartialError(ValueError):
    """``X.lmdb.partial`` is an interrupted build of another folder (or of
    one it does not record); the message names both and the way on."""


def _encode(job):
    """``(key, png bytes, (h, w, c), None)``, or ``(key, None, None,
    problem)`` for a file that fails the loader's rule
    (:func:`~toolbox.datasets.transforms.loading.decode_stored`)."""
    key, path, level = job
    try:
        with open(path, 'rb') as file:
            img = decode_stored(file.read(), path)
    except (OSError, ImageReadError) as error:
        return key, None, None, str(error)
    ok, buffer = cv2.imencode('.png', img, [cv2.IMWRITE_PNG_COMPRESSION,
                                            level])
    if not ok:
        return key, None, None, f'Cannot encode {path} as PNG'
    h, w = img.shape[:2]
    c = 1 if img.ndim == 2 else img.shape[2]
    return key, buffer.tobytes(), (h, w, c), None


def _existing_keys(env) -> set:
    with env.begin(write=False) as txn:
        # Keys only: values of a large database need not be read.
        return {bytes(k).decode('ascii')
                for k in txn.cursor().iternext(keys=True, values=False)}


def _identity(path: str, input_dir: str, level: int) -> tuple:
    """What a resume compares to reuse a packed key: the file's name
    relative to the source folder, its size and ``mtime_ns``, and the PNG
    level it was packed with.

    Size and modification time, not a content hash: a hash would read every
    byte of the source again on each resume (on a large or network-mounted
    data set, much of the time a resume is meant to save), while an edited,
    replaced or re-exported file gets a new mtime (and almost always a new
    size). A file rewritten with its old size *and* its old mtime restored
    (``cp -p``, ``rsync -t`` of other content) would pass: rsync's quick
    check has the same blind spot, and the source folder itself is checked
    separately (``source.json``). The file is stat'ed before it is read, so
    a change while it is packed shows as a new identity at the next resume.
    """
    stat = os.stat(path)
    rel = osp.relpath(path, input_dir).replace(os.sep, '/')
    return (rel, stat.st_size, stat.st_mtime_ns, level)


def _claim_partial(partial: str, source: str, overwrite: bool) -> None:
    """Make ``partial`` a build of ``source``: keep one of ``source``
    (resume), start one, or discard (``overwrite``) or refuse one of
    another folder."""
    record_path = osp.join(partial, SOURCE_FILE)
    if osp.isdir(partial):
        recorded = _recorded_source(record_path)
        if recorded == source:
            return
        if not is_lmdb(partial):
            # Nothing was packed yet (killed before the first commit).
            shutil.rmtree(partial)
        elif overwrite:
            warnings.warn(
                f'{partial} is an interrupted build of '
                f'{recorded or "a folder it does not record"}, not of '
                f'{source}: discarded (--overwrite); building {source} from '
                'scratch', stacklevel=3)
            shutil.rmtree(partial)
        else:
            if recorded:
                of, way = recorded, (
                    f'rerun with --input {recorded} to finish that build, or '
                    f'pass --overwrite to discard it and build {source}')
            else:
                of, way = ('a folder it does not record (an older toolbox '
                           'built it)'), (
                    f'pass --overwrite to discard it and build {source}')
            raise StalePartialError(
                f'{partial} holds an interrupted build of {of}, not of '
                f'{source}: resuming it would store that build\'s images '
                f'under the keys of this one. To proceed, {way}.')
    os.makedirs(partial, exist_ok=True)
    # Recorded before the first image is packed: a partial that holds
    # images always says what they are images of.
    atomic_write_text(json.dumps({'source': source}) + '\n', record_path)


def _recorded_source(record_path: str) -> Optional[str]:
    try:
        with open(record_path) as f:
            return json.load(f).get('source')
    except (OSError, ValueError, AttributeError):
        return None


def create_lmdb(input_dir: str, output: str, compress_level: int = 1,
                workers: int = 1, commit_every: int = 500,
                overwrite: bool = False, progress: bool = True,
                map_size: Optional[int] = None,
                skip_bad: bool = False) -> int:
    """Pack every image under ``input_dir`` into the LMDB ``output``.

    Every image is fully decoded and checked before it is packed, by the
    rule of the folder loader
    (:func:`~toolbox.datasets.transforms.loading.decode_stored`). Files
    that fail are collected; at the end, :class:`BadImagesError` lists them
    and the database is left partial (``X.lmdb.partial``: fix or remove the
    files and rerun, the good images are kept), unless ``skip_bad``: then
    the database is finalised without them and they are listed in
    ``X.lmdb.bad_files.txt`` next to it.

    A rerun resumes ``X.lmdb.partial`` when it is a build of the same
    folder, re-packing the files changed since; a partial of another
    folder raises :class:`StalePartialError`, or is discarded with a
    warning when ``overwrite``. The build holds ``X.lmdb.lock`` throughout.

    Returns the number of images in the finished database.

    Raises:
        UserError: before anything is written: ``output`` does not end with
            ``.lmdb`` (:func:`check_output_name`), two files of
            ``input_dir`` have one key (``a.png``, ``a.jpg``), or a file
            name cannot be a key (:func:`check_key_names`).
        LockHeldError: another build of ``output`` is running.
    """
    output = output.rstrip('/')
    check_output_name(output)
    # The folder is listed and its names checked before anything is
    # written (the output's folder, the lock, the partial database).
    images = scan_images(input_dir, IMG_EXTENSIONS)
    if not images:
        raise FileNotFoundError(f'No images found in {input_dir}')
    check_key_names(images, input_dir)
    os.makedirs(osp.dirname(osp.abspath(output)), exist_ok=True)
    lock = output + LOCK_SUFFIX
    with exclusive_lock(
            lock, f'{output} is being built by another run ({{holder}}; '
            'lock {lock}): two builds of one database would mix their '
            'images. Wait for it to end, or choose another --output.'):
        return _build(input_dir, images, output, compress_level, workers,
                      commit_every, overwrite, progress, map_size, skip_bad)


def check_output_name(output: str) -> None:
    """Refuse an output whose name does not end with ``.lmdb``.

    The suffix is how an LMDB is told from an image folder where its
    contents cannot say it: a dataset's ``data_prefix`` that names a
    missing ``X.lmdb`` is reported as a missing database (``data.mdb``,
    ``meta_info.txt``), not as a missing folder of images
    (:meth:`~toolbox.datasets.base.RestorationDataset.input_paths`); and
    BasicSR's ``make_lmdb_from_imgs`` refuses other names too.

    Raises:
        UserError: naming ``--output`` and the name to use instead.
    """
    if output.endswith('.lmdb'):
        return
    base = output[:-len('.lmdb')] if output.lower().endswith('.lmdb') \
        else output
    raise UserError(
        f'--output {output or "(empty)"}: an LMDB is a folder whose name ends '
        f'with .lmdb (the toolbox and BasicSR recognise it by that); use '
        f'--output {base or "X"}.lmdb')


def unusable_key(key: str) -> bool:
    """Whether ``key`` cannot be an LMDB key that the readers find again.

    Keys are bytes to LMDB, but MMEngine's ``LmdbBackend`` (through which
    the toolbox's datasets read), BasicSR's and MMagic's encode the key
    they look up as ASCII, so a non-ASCII key is never found; and
    ``meta_info.txt`` ends a key at the first whitespace
    (:func:`~toolbox.datasets.listing.parse_meta_info_line`), so a key
    with a space (or a tab, a newline) is listed as another key.
    """
    return not key.isascii() or any(c.isspace() for c in key)


#: How many offending files a message names before it counts the rest.
LISTED = 10


def check_key_names(images: dict, input_dir: str) -> None:
    """Refuse a folder with file names that cannot be keys
    (:func:`unusable_key`), naming every such file (up to :data:`LISTED`).

    Raises:
        UserError: listing the files and the fix (rename them).
    """
    bad = sorted(osp.relpath(path, input_dir).replace(os.sep, '/')
                 for key, path in images.items() if unusable_key(key))
    if not bad:
        return
    named = ', '.join(repr(name) for name in bad[:LISTED])
    if len(bad) > LISTED:
        named += f', ... ({len(bad)} in all)'
    plural = 's' if len(bad) > 1 else ''
    raise UserError(
        f'{input_dir} holds {len(bad)} file name{plural} that cannot be an '
        f'LMDB key: {named}. A key is the path without its extension and '
        'must be ASCII without spaces: MMEngine, BasicSR and MMagic look '
        'keys up as ASCII, and meta_info.txt ends a key at the first space. '
        'Rename such files (e.g. spaces to _, letters without accents) and '
        'rerun; '
        'nothing was written.')


def _build(input_dir, images, output, compress_level, workers, commit_every,
           overwrite, progress, map_size, skip_bad) -> int:
    """:func:`create_lmdb`'s work, under the lock, on the ``images`` of
    ``input_dir`` (key → path, checked)."""
    import lmdb
    if osp.exists(output) and not overwrite:
        raise OutputExistsError(
            f'{output} exists; pass --overwrite to rebuild it (the old '
            'database stays usable until the new one is complete)')
    dotted = keys_unreadable_elsewhere(images)
    if dotted:
        warnings.warn(
            f'{len(dotted)} of {len(images)} keys contain a dot (e.g. '
            f'{dotted[0]!r}): the toolbox reads them, but BasicSR and '
            'MMEditing 0.x cut a meta_info.txt line at its first dot '
            f'({dotted[0].split(".")[0]!r}) and will not find these images. '
            'Rename them if those toolboxes must read this database.',
            DottedKeyWarning, stacklevel=3)
    partial = output + PARTIAL_SUFFIX
    identities = {k: _identity(p, input_dir, compress_level)
                  for k, p in images.items()}
    if map_size is None:
        total = sum(identity[1] for identity in identities.values())
        map_size = max(10 * total, 1 << 26)
    _claim_partial(partial, osp.realpath(input_dir), overwrite)
    env = lmdb.open(partial, map_size=map_size)
    done = _existing_keys(env)
    meta_path = osp.join(partial, META_FILE + '.partial')
    # Reused: the keys the database holds whose file has not changed since
    # it was last packed (the key's last line: an earlier one may describe
    # a value since replaced); every other image is (re-)packed.
    packed = dict(_read_partial_meta(meta_path))
    shapes = {key: shape for key, (shape, identity) in packed.items()
              if key in done and identities.get(key) == identity}
    jobs = [(k, p, compress_level) for k, p in images.items()
            if k not in shapes]
    bar = progress_bar(total=len(images), initial=len(images) - len(jobs),
                       desc=f'lmdb {osp.basename(output)}', enabled=progress)
    pool = Pool(workers) if workers > 1 else None
    results = pool.imap(_encode, jobs, chunksize=8) if pool else map(
        _encode, jobs)
    bad: List[Tuple[str, str]] = []
    try:
        batch: List = []
        for item in results:
            if item[3] is not None:
                bad.append((images[item[0]], item[3]))
                bar.update(1)
                continue
            batch.append(item[:3])
            if len(batch) >= commit_every:
                _commit(env, batch, shapes, meta_path, identities)
                bar.update(len(batch))
                batch = []
        _commit(env, batch, shapes, meta_path, identities)
        bar.update(len(batch))
    finally:
        bar.close()
        if pool:
            pool.close()
            pool.join()
        env.close()
    report = output + BAD_REPORT_SUFFIX
    if bad and not skip_bad:
        listed = '\n'.join(f'  {path}: {why}' for path, why in bad)
        raise BadImagesError(
            f'{len(bad)} of {len(images)} images in {input_dir} do not '
            f'decode; {output} was not finalised (the {len(images) - len(bad)}'
            f' good images are kept in {partial} for the rerun):\n{listed}\n'
            'Fix or remove these files and rerun, or pass --skip-bad to '
            f'build the database without them (listed in {report}).')
    bad_paths = {path for path, _ in bad}
    kept = [k for k, p in images.items() if p not in bad_paths]
    # Keys packed by an earlier run whose file is gone, or no longer
    # decodes (--skip-bad): the finished database holds the listed keys
    # only.
    _delete_keys(partial, map_size, done - set(kept))
    with open(osp.join(partial, META_FILE), 'w') as f:
        for key in kept:
            f.write(meta_info_line(key, shapes[key], compress_level) + '\n')
    os.remove(meta_path)
    os.remove(osp.join(partial, SOURCE_FILE))
    if osp.exists(output):
        shutil.rmtree(output)
    os.replace(partial, output)
    if bad:
        with open(report, 'w') as f:
            f.write(f'# {len(bad)} images of {input_dir} left out of {output}'
                    ' (they do not decode)\n')
            f.writelines(f'{path}\t{why}\n' for path, why in bad)
    elif osp.exists(report):
        os.remove(report)
    return len(kept)


def _delete_keys(db_path: str, map_size: int, keys) -> None:
    if not keys:
        return
    import lmdb
    env = lmdb.open(db_path, map_size=map_size)
    try:
        with env.begin(write=True) as txn:
            for key in keys:
                txn.delete(key.encode('ascii'))
    finally:
        env.close()


def _read_partial_meta(path: str) -> Iterator[Tuple[str, tuple]]:
    """``(key, (shape, identity))`` of each committed image, in the order
    committed (a later line of a key, re-packed, wins). A line that does
    not parse (cut by a crash, or of an older toolbox's format without the
    file's identity) is skipped: its image is packed again."""
    if not osp.isfile(path):
        return
    with open(path) as f:
        for line in f:
            try:
                entry = json.loads(line)
                yield entry['key'], (tuple(entry['shape']),
                                     tuple(entry['file']))
            except (ValueError, KeyError, TypeError):
                continue


def _commit(env, batch, shapes, meta_path, identities) -> None:
    """Write one transaction, then record each image's shape and its
    file's identity (after the commit, so the side file never lists a key
    the database lacks)."""
    if not batch:
        return
    with env.begin(write=True) as txn:
        for key, value, _ in batch:
            txn.put(key.encode('ascii'), value)
    with open(meta_path, 'a') as f:
        for key, _, shape in batch:
            shapes[key] = shape
            f.write(json.dumps({'key': key, 'shape': list(shape),
                                'file': list(identities[key])}) + '\n')
        f.flush()
        os.fsync(f.fileno())


def verify_lmdb(db_path: str, progress: bool = False
                ) -> List[Tuple[str, str]]:
    """Check a whole database against its ``meta_info.txt``.

    Every listed key must be in the database and its value must decode (the
    loader's rule) to the listed ``(h, w, c)``; keys in the database that
    the list lacks are reported too. Returns ``(key, problem)`` pairs,
    empty for a sound database.

    Raises:
        LMDBError: the file itself is damaged (see :func:`check_lmdb`).
        FileNotFoundError: no ``meta_info.txt``.
    """
    import lmdb

    db_path = db_path.rstrip('/')
    if not is_lmdb(db_path):
        raise FileNotFoundError(f'{db_path} is not an LMDB (no data.mdb in '
                                'it)')
    check_lmdb(db_path)
    stored = lmdb_keys(db_path)
    listed = {}
    for name, shape in read_meta_info(db_path, check_keys=False).items():
        # The stored key: the field itself, or the file name without its
        # extension (BasicSR's convention, which create_lmdb writes); a key
        # in neither form is reported below as missing.
        stem = strip_image_extension(name)
        key = name if name in stored or stem is None else stem
        listed[key] = shape
    problems = []
    env = lmdb.open(db_path, readonly=True, lock=False, readahead=False)
    try:
        with env.begin(write=False) as txn:
            for key, shape in progress_bar(listed.items(), desc='verify',
                                           enabled=progress):
                value = txn.get(key.encode('ascii'))
                if value is None:
                    problems.append((key, 'listed in meta_info.txt but '
                                     'not in the database'))
                    continue
                try:
                    img = decode_stored(bytes(value), key)
                except ImageReadError as error:
                    problems.append((key, str(error)))
                    continue
                found = img.shape[:2] + (
                    1 if img.ndim == 2 else img.shape[2], )
                if tuple(shape) != found:
                    problems.append((key, f'decodes to {found}, '
                                     f'meta_info.txt says {tuple(shape)}'))
            for raw in txn.cursor().iternext(keys=True, values=False):
                key = bytes(raw).decode('ascii', 'replace')
                if key not in listed:
                    problems.append((key, 'in the database but not listed '
                                     'in meta_info.txt'))
    finally:
        env.close()
    return problems
