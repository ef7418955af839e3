"""Which version of the demo data a folder of ``data/demo`` holds.

Each builder of a part of the demo data (the paired set,
:mod:`~toolbox.degradations.demo_set`; the unpaired rain set,
:mod:`~toolbox.degradations.demo_unpaired`; the real-world-like sets,
:mod:`~toolbox.degradations.demo_real_like`) declares a ``DATA_VERSION``
and, after its last image, writes ``<out>/<part>.stamp.json`` with that
version and the arguments it was called with (and removes the old stamp
before its first image). ``tools/demo.py`` reads the
stamp before it trains: a part without one (a build that was interrupted,
or one made by a toolbox older than the stamps) or with another version
than its builder's is rebuilt, so no demo trains or scores on data that
the toolbox's current synthesis would not write. Because the stamp comes
last, a folder with a current stamp is complete.

Bump a builder's ``DATA_VERSION`` in the change that makes the same
arguments write other images (a new degradation model, a re-pinned
checksum in ``tests/degradations/test_pinned_checksums.py``).
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Optional

from toolbox.fileio import atomic_write_text
from toolbox.version import __version__

STAMP_SUFFIX = '.stamp.json'


def stamp_path(out: str, part: str) -> str:
    """The stamp of ``part`` (``'paired'``, ``'unpaired'``, ``'real_like'``)
    of the demo data under ``out``."""
    return osp.join(out, part + STAMP_SUFFIX)


def write_stamp(out: str, part: str, version: int, arguments: dict) -> None:
    """Record that ``part`` under ``out`` is complete, at ``version``,
    written with ``arguments`` (atomically: a crash leaves no half stamp)."""
    stamp = dict(part=part, data_version=version, arguments=arguments,
                 toolbox=__version__)
    atomic_write_text(json.dumps(stamp, indent=2, sort_keys=True) + '\n',
                      stamp_path(out, part))


def remove_stamp(out: str, part: str) -> None:
    """Withdraw the stamp of ``part`` before a build writes over it, so
    that a build interrupted over an older one leaves no stamp either."""
    path = stamp_path(out, part)
    if osp.isfile(path):
        os.remove(path)


@dataclass(frozen=True)
class StampCheck:
    """What :func:`check_stamp` found: ``current`` is True when the part
    can be used as it is; otherwise ``reason`` says why not."""
    current: bool
    reason: str
    stamp: Optional[dict] = None


def check_stamp(out: str, part: str, version: int) -> StampCheck:
    """Whether the stamp of ``part`` under ``out`` says ``version``."""
    path = stamp_path(out, part)
    if not osp.isfile(path):
        return StampCheck(False, f'it has no stamp {path}: its build was '
                          'interrupted, or a toolbox older than the stamps '
                          'made it')
    try:
        with open(path, encoding='utf-8') as file:
            stamp = json.load(file)
        found = stamp['data_version']
    except (OSError, ValueError, KeyError, TypeError) as error:
        return StampCheck(False, f'its stamp {path} cannot be read '
                          f'({error})')
    if found != version:
        return StampCheck(False, f'it holds data version {found} (stamp '
                          f'{path}); this toolbox writes version {version}',
                          stamp)
    return StampCheck(True, f'data version {version}', stamp)
