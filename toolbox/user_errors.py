"""The toolbox's user errors: mistakes the user can fix, raised where the
toolbox checks its input, printed by the tools as one message without a
traceback (:func:`toolbox.app.errors.run_tool`). One floor down, so that
datasets, models and the engine raise them without importing the tools'
error reporting.
"""
import difflib


class UserError(Exception):
    """A mistake the user can fix; the message names the thing and the fix.

    Raised by the toolbox where it checks the user's input (config
    overrides, files, command-line values); :func:`run_tool` prints it
    without a traceback.
    """


class OptionValueError(UserError, ValueError):
    """A config option given a value outside its choices (a ``ValueError``
    for code that catches those, a user error for the tools)."""


def choice_error(owner: str, option: str, value,
                 choices) -> OptionValueError:
    """The error for ``option=value`` of ``owner`` not in ``choices``, with
    the closest choice ("did you mean 'lsgan'?")."""
    close = difflib.get_close_matches(str(value), [str(c) for c in choices],
                                      n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ''
    return OptionValueError(f'{owner}: {option} must be one of '
                            f'{tuple(choices)}, got {value!r}{hint}')


__all__ = ['UserError', 'OptionValueError', 'choice_error']
