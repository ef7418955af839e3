"""``--cfg-options KEY=VALUE``: parsed with a clear message, checked
against the config before it is merged.

MMEngine merges any key, so a misspelled one (``trian_cfg.max_iters=2``)
is silently added next to the real one and the run uses the config's value;
and ``--cfg-options foo`` (no ``=``) fails with ``ValueError: not enough
values to unpack``. Here:

* an option without ``=`` is a usage error saying the expected form;
* an option whose first key is not in the config is a
  :class:`~toolbox.engine.errors.UserError` naming the closest existing
  keys; prefix the key with ``+`` to add a new top-level key on purpose
  (``--cfg-options +my_note=abc``). Keys below the first level are not
  checked: a registered class may take arguments its config leaves out.
"""
import argparse
import difflib
from typing import Optional

from mmengine.config import Config, DictAction

from toolbox.engine.errors import UserError

#: Marks an override that adds a new top-level key on purpose.
NEW_KEY_PREFIX = '+'
EXPECTED_FORM = ('KEY=VALUE (e.g. train_cfg.max_iters=2 or '
                 'model.generator.mid_channels=16; lists as a=1,2 or '
                 "a='[1,2]'; a new top-level key as +KEY=VALUE)")


class CfgOptionsAction(DictAction):
    """MMEngine's ``DictAction`` with a usage error for items without
    ``=``."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values if isinstance(values, list) else [values]:
            key = item.split('=', 1)[0]
            if '=' not in item or not key.lstrip(NEW_KEY_PREFIX):
                parser.error(f'{option_string or "--cfg-options"}: {item!r} '
                             f'is not of the form {EXPECTED_FORM}')
        super().__call__(parser, namespace, values, option_string)

    @staticmethod
    def _parse_iterable(val: str):
        """MMEngine's parsing, except that a single value keeps its inner
        spaces (MMEngine removes every space: ``work_dir=work_dirs/a b``
        became ``work_dirs/ab``). Lists and tuples parse as in MMEngine."""
        single = val.strip().strip('\'"').strip()
        if single and single[0] not in '([' and ',' not in single:
            return DictAction._parse_int_float_bool(single)
        return DictAction._parse_iterable(val)


def add_cfg_options_argument(parser: argparse.ArgumentParser,
                             example: str = 'train_dataloader.batch_size=4'
                             ) -> None:
    """The ``--cfg-options`` argument of every tool."""
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction, default={},
        help=f'override config keys, e.g. {example}; the first key must '
        f'exist in the config (prefix a new one with {NEW_KEY_PREFIX}: '
        f'{NEW_KEY_PREFIX}my_key=1)')


def check_cfg_options(cfg: Config, options: Optional[dict]) -> dict:
    """``options`` with the new-key prefix removed, after checking that
    every other first key exists in ``cfg``.

    Raises:
        UserError: naming the unknown key(s) and the closest existing ones.
    """
    checked, unknown = {}, []
    existing = list(cfg.keys())
    for key, value in (options or {}).items():
        if key.startswith(NEW_KEY_PREFIX):
            checked[key[len(NEW_KEY_PREFIX):]] = value
            continue
        first = key.split('.', 1)[0]
        if first not in cfg:
            unknown.append((key, first))
        checked[key] = value
    if unknown:
        lines = []
        for key, first in unknown:
            close = difflib.get_close_matches(first, existing, n=3,
                                              cutoff=0.6)
            hint = (f'did you mean {" or ".join(close)}?' if close else
                    'no key of the config is close to it')
            lines.append(f'{key}: the config has no key {first!r} ({hint})')
        config = getattr(cfg, 'filename', None) or 'the config'
        raise UserError(
            f'--cfg-options: unknown key{"s" if len(unknown) > 1 else ""} '
            f'for {config}:\n  ' + '\n  '.join(lines) + '\nCheck the '
            f'spelling, or prefix a key with {NEW_KEY_PREFIX} to add it on '
            f'purpose ({NEW_KEY_PREFIX}KEY=VALUE).')
    return checked


def read_config(path: str) -> Config:
    """``Config.fromfile(path)``; a missing file or one that does not parse
    is a :class:`~toolbox.engine.errors.UserError` naming it."""
    import os.path as osp
    if not osp.isfile(path):
        raise UserError(f'config file not found: {path}' + (
            ' (it is a folder)' if osp.isdir(path) else ''))
    try:
        return Config.fromfile(path)
    except SyntaxError as error:
        where = f', line {error.lineno}' if error.lineno else ''
        raise UserError(f'config {path} does not parse{where}: {error.msg}. '
                        'A config is a Python file of assignments (see '
                        'configs/demo/tiny_restorer.py).') from error


def merge_cfg_options(cfg: Config, options: Optional[dict]) -> Config:
    """Check ``options`` (:func:`check_cfg_options`) and merge them."""
    if options:
        cfg.merge_from_dict(check_cfg_options(cfg, options))
    return cfg


__all__ = ['CfgOptionsAction', 'add_cfg_options_argument',
           'check_cfg_options', 'merge_cfg_options', 'read_config',
           'NEW_KEY_PREFIX']
