"""Progress bars of the long commands (folders, LMDBs, synthesis).

One rule for every tool: a bar on a terminal, nothing when the output is
redirected to a file or a pipe (logs, CI, ``nohup``), where tqdm's
carriage-return redraws would fill the log. It imports no other toolbox
module, so every package can use it.
"""
from typing import Iterable, Optional


def progress_bar(iterable: Optional[Iterable] = None, *, enabled: bool = True,
                 **kwargs):
    """A tqdm bar over ``iterable`` (or a manual one with ``total=``),
    drawn only when ``enabled`` and stderr is a terminal.

    ``kwargs`` go to tqdm (``desc``, ``total``, ``unit``, ``initial``...).
    """
    from tqdm import tqdm

    # disable=None: tqdm turns itself off when its stream is not a TTY.
    return tqdm(iterable, disable=None if enabled else True, **kwargs)


__all__ = ['progress_bar']
