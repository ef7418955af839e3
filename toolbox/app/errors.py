"""How the tools report a user's mistake: one message, exit status 2.

A wrong config, an unknown ``type=``, a missing or unreadable file, a
checkpoint of another network: these are the user's to fix, and a
traceback hides the one line that says how. :func:`run_tool` runs a tool's
``main`` and turns every :data:`user error <is_user_error>` into
``<tool>: error: <message>`` on stderr and exit status 2 (the status of
argparse's own usage errors and of
:func:`~toolbox.app.input_check.exit_if_inputs_missing`). Every other
exception is an internal error and keeps its traceback. ``--debug`` (every
tool accepts it) or ``TOOLBOX_DEBUG=1`` shows the traceback of user errors
too.
"""
import os
import re
import sys
from typing import Callable, Optional

import toolbox.registry as registries
from toolbox.datasets.lmdb_utils import (BadImagesError, LMDBError,
                                         OutputExistsError, StalePartialError)
from toolbox.datasets.transforms.loading import (ImageReadError,
                                                 SizeMismatchError)
from toolbox.deploy.onnx_metadata import MetadataError
from toolbox.engine.non_finite import NonFiniteLossError
from toolbox.engine.resume_schedule import ScheduleChangedError
from toolbox.fileio import OutputWriteError
from toolbox.locking import LockHeldError
from toolbox.user_errors import UserError
from toolbox.weights import (CheckpointMismatchError, NotACheckpointError,
                             UntrustedCheckpointError)

DEBUG_ENV = 'TOOLBOX_DEBUG'
DEBUG_OPTION = '--debug'
#: Exit status of a user error (as argparse's usage errors).
USER_ERROR_STATUS = 2


def _registry_miss(error: BaseException) -> bool:
    # MMEngine's Registry.build: "X is not in the toolbox::model registry".
    return isinstance(error, KeyError) and bool(
        re.search(r'is not in the \S+ registry', str(error)))


def is_user_error(error: BaseException) -> bool:
    """Whether ``error`` is the user's to fix (printed without traceback).

    User errors: :class:`UserError`; a missing, unreadable or misplaced
    file or folder (``FileNotFoundError``, ``IsADirectoryError``,
    ``NotADirectoryError``, ``PermissionError``); a config file that does
    not parse (``SyntaxError`` raised while reading it); an unknown
    ``type=`` (MMEngine's registry ``KeyError``); a checkpoint that does
    not fit or is not trusted
    (:class:`~toolbox.weights.CheckpointMismatchError`,
    :class:`~toolbox.weights.UntrustedCheckpointError`,
    :class:`~toolbox.weights.NotACheckpointError`); a damaged
    LMDB (:class:`~toolbox.datasets.lmdb_utils.LMDBError`); images that
    do not decode (``ImageReadError``, ``BadImagesError``) or do not pair
    (``SizeMismatchError``); a run stopped
    by a non-finite loss
    (:class:`~toolbox.engine.non_finite.NonFiniteLossError`); an output
    or work dir another run holds (:class:`~toolbox.locking.LockHeldError`)
    a partial LMDB of another source, or an LMDB that exists without
    ``--overwrite``
    (:class:`~toolbox.datasets.lmdb_utils.StalePartialError`,
    :class:`~toolbox.datasets.lmdb_utils.OutputExistsError`); an output
    that cannot be written where it goes: disk full, quota, read-only file
    system (:class:`~toolbox.fileio.OutputWriteError`, raised only around
    the writes of the user's outputs: a bare ``OSError`` with such an
    ``errno`` elsewhere stays an internal error); an ONNX file without the
    toolbox's metadata
    (:class:`~toolbox.deploy.onnx_metadata.MetadataError`).
    """
    user_types = (NonFiniteLossError, ScheduleChangedError, UserError,
                  FileNotFoundError, IsADirectoryError,
                  NotADirectoryError, PermissionError,
                  CheckpointMismatchError, UntrustedCheckpointError,
                  NotACheckpointError, LMDBError, BadImagesError,
                  ImageReadError, SizeMismatchError, SyntaxError,
                  LockHeldError, StalePartialError, OutputExistsError,
                  OutputWriteError, MetadataError)
    if isinstance(error, SyntaxError) and _in_toolbox(error.filename):
        return False  # the toolbox's own code (an edited install)
    return isinstance(error, user_types) or _registry_miss(error)


def _in_toolbox(filename: Optional[str]) -> bool:
    """Whether ``filename`` is a module of the toolbox package itself."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return bool(filename) and os.path.abspath(filename).startswith(
        package + os.sep)


def debug_requested(argv=None) -> bool:
    """``--debug`` on the command line or ``TOOLBOX_DEBUG`` set (not 0)."""
    argv = sys.argv if argv is None else argv
    return DEBUG_OPTION in argv or os.environ.get(DEBUG_ENV, '') not in ('',
                                                                         '0')


def add_debug_argument(parser) -> None:
    """``--debug``: show tracebacks of user errors too."""
    parser.add_argument(
        DEBUG_OPTION, action='store_true',
        help='show the traceback of user errors too (as '
        f'{DEBUG_ENV}=1)')


def registry_hint(message: str) -> str:
    """For MMEngine's "X is not in the <scope>::<name> registry": the
    registered names closest to X (" Did you mean A or B?"), or ''."""
    import difflib
    match = re.search(r'(\S+) is not in the (?:\S+::)?(.+?) registry',
                      message)
    if not match:
        return ''
    wanted, kind = match.group(1).strip('`\'"'), match.group(2)
    names = set()
    for value in vars(registries).values():
        if getattr(value, 'name', None) == kind and hasattr(value,
                                                            'module_dict'):
            value.import_from_location()
            registry = value
            while registry is not None:  # the MMEngine parents' names too
                names |= set(registry.module_dict)
                registry = registry.parent
    close = difflib.get_close_matches(wanted, sorted(names), n=3, cutoff=0.6)
    return f' Did you mean {" or ".join(close)}?' if close else ''


def format_user_error(error: BaseException, tool: str) -> str:
    """``<tool>: error: <message>``, with the way to see the traceback."""
    message = str(error)
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(
            error.args[0], str):
        message = error.args[0]  # str(KeyError) adds quotes
    if _registry_miss(error):
        # The hint right after MMEngine's first sentence, before its advice.
        head, dot, rest = message.partition(' registry. ')
        hint = registry_hint(message)
        message = (f'{head} registry.{hint} {rest}' if dot else
                   message + hint)
    if isinstance(error, SyntaxError) and error.filename not in (None,
                                                                 '<unknown>'):
        message = f'{error.filename}, line {error.lineno}: {error.msg}'
    elif isinstance(error, SyntaxError):
        message = f'the config does not parse: {message}'
    if isinstance(error, PermissionError) and error.filename:
        message = (f'cannot open {error.filename}: permission denied '
                   '(check its permissions and owner)')
    return (f'{tool}: error: {message}\n'
            f'(run with {DEBUG_OPTION} or {DEBUG_ENV}=1 for the traceback)')


def run_tool(main: Callable[[], Optional[int]], tool: str) -> None:
    """Run a tool's ``main``; exit 2 with one message on a user error.

    Internal errors propagate (with their traceback); ``--debug`` or
    ``TOOLBOX_DEBUG=1`` lets user errors propagate too.
    """
    try:
        status = main()
    except Exception as error:  # noqa: BLE001 - sorted below
        if debug_requested() or not is_user_error(error):
            raise
        print(format_user_error(error, tool), file=sys.stderr, flush=True)
        sys.exit(USER_ERROR_STATUS)
    if status:
        sys.exit(status)


__all__ = ['is_user_error', 'run_tool', 'add_debug_argument',
           'debug_requested', 'format_user_error', 'DEBUG_ENV',
           'USER_ERROR_STATUS']
