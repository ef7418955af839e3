"""Pretrained files the toolbox may fetch itself (VGG-19, the FID Inception).

A network that needs published weights to be built (Uni-Removal's ICL
embedding: torchvision's ImageNet VGG-19) names an entry of
:data:`PRETRAINED_FILES`; :func:`fetch_pretrained` returns the file's path
in torch's hub cache (``torch.hub.get_dir()/checkpoints``, i.e.
``$TORCH_HOME/hub/checkpoints``), downloading it the first time from its
official address with torch's own downloader: a progress bar on a
terminal, the SHA-256 checked against the prefix the file name carries
(torchvision's ``<name>-<first 8 hex of the sha256>.pth`` convention),
written under a temporary name in the same folder and renamed only once it
checks out, so a failed or corrupted download leaves nothing behind. The
path is logged.

Downloads are off with ``TOOLBOX_OFFLINE=1`` (machines without network, CI,
the test suite) or with the ``download=False`` option of the module that
needs the file; a missing file is then a ``FileNotFoundError`` naming the
path expected and the address to fetch it from by hand.

A later pretrained network adds one line to :data:`PRETRAINED_FILES`.
Nothing here runs at import time: the toolbox never touches the network
unless a model that needs such a file is built.
"""
import os
import os.path as osp
import sys
from typing import NamedTuple, Optional

import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log

from toolbox.user_errors import UserError

#: Set to 1 (or true/yes/on) to turn every download off.
OFFLINE_ENV = 'TOOLBOX_OFFLINE'


class PretrainedFile(NamedTuple):
    """A published weights file: where it comes from and how to check it.

    Attributes:
        url: the official download address.
        filename: its name in the hub cache (torchvision's own name, so a
            file torchvision downloaded is found).
        sha256_prefix: the first hex digits of the file's SHA-256.
        what: what it is, for people.
    """
    url: str
    filename: str
    sha256_prefix: str
    what: str


#: Known pretrained files, by name.
PRETRAINED_FILES = {
    'vgg19': PretrainedFile(
        'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth',
        'vgg19-dcbb9e9d.pth', 'dcbb9e9d',
        "VGG-19 ImageNet weights (torchvision's vgg19)"),
    # The FID Inception (toolbox/evaluation/fid.py). The prefix is the one
    # the file name carries (torch hub's <name>-<sha256 prefix> rule).
    'fid_inception': PretrainedFile(
        'https://github.com/mseitzer/pytorch-fid/releases/download/'
        'fid_weights/pt_inception-2015-12-05-6726825d.pth',
        'pt_inception-2015-12-05-6726825d.pth', '6726825d',
        "the FID Inception weights (pytorch-fid's pt_inception-2015-12-05)"),
}


class PretrainedDownloadError(UserError):
    """A pretrained file could not be downloaded, or did not check out."""


def offline() -> bool:
    """Whether ``TOOLBOX_OFFLINE`` turns downloads off."""
    return os.environ.get(OFFLINE_ENV, '').strip().lower() in ('1', 'true',
                                                               'yes', 'on')


def downloads_allowed(download: bool = True) -> bool:
    """Whether a module with the option ``download`` may fetch its file."""
    return bool(download) and not offline()


def pretrained_entry(name: str) -> PretrainedFile:
    """The table entry ``name`` (a ``KeyError`` listing the known ones)."""
    if name not in PRETRAINED_FILES:
        raise KeyError(f'unknown pretrained file {name!r}; known: '
                       f'{sorted(PRETRAINED_FILES)}')
    return PRETRAINED_FILES[name]


def cached_path(name: str) -> str:
    """Where the hub cache keeps ``name``:
    ``torch.hub.get_dir()/checkpoints/<filename>``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints',
                    pretrained_entry(name).filename)


def why_not_downloaded(download: bool = True) -> str:
    """The reason, for messages, that a file was not downloaded."""
    if offline():
        return f'downloads are off ({OFFLINE_ENV}={os.environ[OFFLINE_ENV]})'
    if not download:
        return 'downloads are off (download=False)'
    return ''


def _download(entry: PretrainedFile, path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    print_log(f'Downloading {entry.what} from {entry.url} to {path} (once; '
              f'{OFFLINE_ENV}=1 turns downloads off)', logger='current')
    try:
        # Writes <path>.<uuid>.partial in the same folder, checks the
        # SHA-256 prefix, then moves it to <path>; the partial file is
        # removed whatever happens.
        torch.hub.download_url_to_file(
            entry.url, path, hash_prefix=entry.sha256_prefix,
            progress=sys.stderr.isatty())
    except RuntimeError as error:
        if 'invalid hash value' not in str(error):
            raise
        raise PretrainedDownloadError(
            f'the file downloaded from {entry.url} is not {entry.what}: '
            f'{error}; it was not kept. Try again, or fetch {entry.filename} '
            f'yourself and put it at {path}.') from error
    except OSError as error:  # URLError, connection and disk errors
        raise PretrainedDownloadError(
            f'could not download {entry.what} from {entry.url} to {path}: '
            f'{error}. Fetch the file yourself and put it there, or set '
            f'{OFFLINE_ENV}=1 to see which files a config needs.') from error
    print_log(f'{entry.what} stored at {path}', logger='current')


def fetch_pretrained(name: str, download: bool = True) -> str:
    """The local path of pretrained file ``name``, downloaded into the hub
    cache if it is not there yet and downloads are allowed.

    Under DDP rank 0 downloads while the others wait, then every rank
    reads the file (ranks on another machine, with their own cache,
    download there). Raises ``FileNotFoundError`` when the file is missing
    and downloads are off, :class:`PretrainedDownloadError` when the
    download fails or the file does not check out (nothing is kept).
    """
    entry = pretrained_entry(name)
    path = cached_path(name)
    if osp.isfile(path):
        return path
    if not downloads_allowed(download):
        raise FileNotFoundError(
            f'{entry.what} not found at {path}, and '
            f'{why_not_downloaded(download)}: fetch {entry.url} yourself and '
            'put it there.')
    rank, world_size = get_dist_info()
    if world_size > 1:
        error: Optional[BaseException] = None
        if rank == 0:
            try:
                _download(entry, path)
            except Exception as caught:  # others must not wait forever
                error = caught
        barrier()
        if error is not None:
            raise error
        if osp.isfile(path):
            return path
    _download(entry, path)
    return path


__all__ = ['PRETRAINED_FILES', 'PretrainedFile', 'PretrainedDownloadError',
           'OFFLINE_ENV', 'offline', 'downloads_allowed', 'cached_path',
           'fetch_pretrained', 'pretrained_entry', 'why_not_downloaded']
