"""``--cfg-options KEY=VALUE``: parsed with a clear message, checked
against the config before it is merged.

MMEngine merges any key, so a misspelled one (``trian_cfg.max_iters=2``)
is silently added next to the real one and the run uses the config's value;
and ``--cfg-options foo`` (no ``=``) fails with ``ValueError: not enough
values to unpack``. Here:

* an option without ``=`` is a usage error saying the expected form;
* an option whose first key is not in the config is a
  :class:`~toolbox.user_errors.UserError` naming the closest existing
  keys; prefix the key with ``+`` to add a new top-level key on purpose
  (``--cfg-options +my_note=abc``);
* a key that is new inside a dict with a ``type`` (a model's, a hook's, a
  dataset's arguments: ``default_hooks.checkpoint.max_keep_ckpt=2``,
  ``model.generator.depthh=6``) is checked against the arguments the
  registered class accepts (:func:`accepted_arguments`), with the closest
  valid names; MMEngine would pass it on and fail later (a
  ``CheckpointHook`` only at its first save, after a whole interval of
  training), or with a traceback.
"""
import argparse
import difflib
import inspect
from typing import Callable, Dict, Optional, Set

from mmengine.config import Config, DictAction

from toolbox.mmengine_private import config_dict
import toolbox.registry as registries
from toolbox.user_errors import UserError

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
    if not unknown:
        check_nested_keys(cfg, checked)
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


def _save_checkpoint_arguments() -> Set[str]:
    from mmengine.runner import Runner
    return set(inspect.signature(Runner.save_checkpoint).parameters) - {
        'self', 'out_dir', 'filename'}


#: Classes whose ``**kwargs`` go elsewhere than their parents: what they
#: accept there (MMEngine's CheckpointHook hands them to save_checkpoint).
KWARGS_FORWARDED_TO: Dict[str, Callable[[], Set[str]]] = {
    'CheckpointHook': _save_checkpoint_arguments,
}

#: Keys a dict with a ``type`` may hold that are not its constructor's:
#: MMEngine's builders read them (``_delete_``/``_scope_`` by the config,
#: ``paramwise_cfg``/``constructor`` by the optimiser-wrapper builder).
BUILDER_KEYS = frozenset({'type', '_delete_', '_scope_', 'paramwise_cfg',
                          'constructor'})

_REGISTRIES = ('MODELS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS',
               'METRICS', 'LOOPS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
               'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
               'LOG_PROCESSORS', 'VISUALIZERS', 'VISBACKENDS')


def accepted_arguments(obj) -> Optional[Set[str]]:
    """The keyword arguments a registered class (or function) accepts, or
    ``None`` when that cannot be known.

    A ``**kwargs`` is followed up the class's bases when the class is the
    toolbox's own (its constructors hand ``**kwargs`` to ``super()``), or
    through :data:`KWARGS_FORWARDED_TO`; any other ``**kwargs`` may go
    anywhere, and then every name is accepted.
    """
    import torch.nn as nn
    if not inspect.isclass(obj):
        try:
            params = inspect.signature(obj).parameters.values()
        except (TypeError, ValueError):
            return None
        if any(p.kind == p.VAR_KEYWORD for p in params):
            return None
        return {p.name for p in params
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    names: Set[str] = set()
    for klass in obj.__mro__:
        if klass in (object, nn.Module):
            return names  # the chain of **kwargs ends here
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        try:
            params = list(inspect.signature(init).parameters.values())[1:]
        except (TypeError, ValueError):
            return None
        names |= {p.name for p in params
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names
        if klass.__name__ in KWARGS_FORWARDED_TO:
            return names | KWARGS_FORWARDED_TO[klass.__name__]()
        if not klass.__module__.startswith('toolbox.'):
            return None
    return names


def _registered(type_name: str):
    """The class or function registered as ``type_name`` in any of the
    toolbox's registries (their MMEngine parents included), or None."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('toolbox'):
        for name in _REGISTRIES:
            registry = getattr(registries, name, None)
            try:
                found = (registry.get(type_name)
                         if registry is not None else None)
            except Exception:  # an unknown scope prefix and the like
                found = None
            if found is not None:
                return found
    return None


def _parent(cfg, path):
    """The dict holding the last key of ``path`` (list indices allowed),
    or None when the path leaves the config."""
    node = config_dict(cfg) if isinstance(cfg, Config) else cfg
    for part in path[:-1]:
        if isinstance(node, (list, tuple)) and part.isdigit() and \
                int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node if isinstance(node, dict) else None


def check_nested_keys(cfg: Config, options: dict) -> None:
    """Refuse a key that is new inside a dict with a ``type`` and that the
    registered class does not accept (a :class:`UserError` naming the key,
    the class and the closest valid names)."""
    problems = []
    for key in options:
        path = key.split('.')
        if len(path) < 2:
            continue
        parent = _parent(cfg, path)
        if parent is None or path[-1] in parent or \
                path[-1] in BUILDER_KEYS or \
                not isinstance(parent.get('type'), str):
            continue
        target = _registered(parent['type'])
        accepted = accepted_arguments(target) if target else None
        if accepted is None or path[-1] in accepted:
            continue
        close = difflib.get_close_matches(path[-1], sorted(accepted), n=3,
                                          cutoff=0.6)
        hint = (f'did you mean {" or ".join(close)}?' if close else
                f'it takes {", ".join(sorted(accepted)) or "no arguments"}')
        problems.append(f'{key}: {parent["type"]} has no argument '
                        f'{path[-1]!r} ({hint})')
    if problems:
        config = getattr(cfg, 'filename', None) or 'the config'
        raise UserError(
            f'--cfg-options: unknown '
            f'argument{"s" if len(problems) > 1 else ""} for {config}:\n  '
            + '\n  '.join(problems))


def read_config(path: str) -> Config:
    """``Config.fromfile(path)``; a missing file or one that does not parse
    is a :class:`~toolbox.user_errors.UserError` naming it."""
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
           'check_cfg_options', 'check_nested_keys', 'accepted_arguments',
           'merge_cfg_options', 'read_config', 'NEW_KEY_PREFIX',
           'KWARGS_FORWARDED_TO']
