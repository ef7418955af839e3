"""The check tools make before they build anything: are the files and
folders the config needs there?

Without it a run stops at the first missing input, with a traceback, often
after minutes of building (the VGG-19 weights, then the training set, then
the teachers, one run at a time). :func:`missing_inputs` collects every path
a config will read and returns those that are not there;
:func:`exit_if_inputs_missing` prints them as one message and exits with
status 2. ``tools/train.py``, ``tools/test.py`` and ``tools/infer.py`` call
it before building the Runner or the model.

The collection is generic. It walks the data loaders' datasets (lists of
loaders, nested ``dataset=``/``datasets=``) and the model config; each dict
whose ``type`` is a registered class with a ``required_paths(cfg)``
classmethod reports what it reads (see :mod:`toolbox.required_paths`):
every toolbox dataset its ``data_root``, ``data_prefix`` sides (LMDBs
included) and ``ann_file``; ``VGG19FeatureExtractor`` its weights file
(only where it cannot download it: ``TOOLBOX_OFFLINE=1`` or
``download=False``, see :mod:`toolbox.engine.pretrained`);
``UniRemovalKT`` its teachers. Any other model part's
``init_cfg=dict(type='Pretrained', checkpoint=...)`` and ``checkpoint=``
key, the config's ``load_from`` (``--resume CKPT``) and the tool's
checkpoint argument are checked too. URLs are not checked.
"""
import os
import os.path as osp
import sys
import time
from typing import Iterator, List, NamedTuple, Optional, Tuple, Union

from mmengine.config import Config

from toolbox.registry import DATASETS, MODELS
from toolbox.required_paths import RequiredPath, is_remote, normalize_path

#: What each tool reads: its data loaders, and whether training starts
#: (teachers and ``init_cfg`` weights are read only then).
STAGES = {
    'train': dict(loaders=('train', 'val'), training=True),
    'test': dict(loaders=('test', ), training=False),
    'infer': dict(loaders=(), training=False),
}

DOCS = 'docs/datasets.md'
QUIET_RANK_EXIT_DELAY_S = 3
CHECKPOINT_HINT = ('a checkpoint file, or the work dir of the run that '
                   'wrote it (it holds last_checkpoint)')
WEIGHTS_HINT = ('a .pth written by tools/train.py (in work_dirs/<config '
                'name>/) or an official release')
# Dataset config keys that hold no datasets.
_NOT_DATASETS = ('pipeline', 'metainfo')


class MissingInput(NamedTuple):
    """A path that is not there, with every config key that names it.

    Attributes:
        path: the path, as the tool would open it.
        kind: ``'file'``, ``'folder'`` or ``'checkpoint'``.
        problem: ``'not found'``, ``'is a file, not a folder'``, ...
        uses: ``(config key, what it is)`` of every reference to it.
        hints: where to get it.
        contents: what the config expects inside a missing folder
            (``['hazy/', 'clear/']``).
    """
    path: str
    kind: str
    problem: str
    uses: List[Tuple[str, str]]
    hints: List[str]
    contents: List[str]


def _lookup(registry, type_) -> Optional[type]:
    """The class a config's ``type`` names in ``registry`` (or None)."""
    if isinstance(type_, type):
        return type_
    if not isinstance(type_, str):
        return None
    try:
        return registry.get(type_)
    except Exception:  # a broken plugin is the Runner's to report
        return None


def _reported(node: dict, key: str, registry) -> List[RequiredPath]:
    """What the class of a typed config dict says it reads (keys made
    absolute)."""
    reporter = getattr(_lookup(registry, node.get('type')),
                       'required_paths', None)
    if reporter is None:
        return []
    try:
        paths = reporter(node)
    except Exception:
        # An invalid config is reported by building it, with the class's
        # own message; the check only adds what it can tell for sure.
        return []
    return [p._replace(key=f'{key}.{p.key}') for p in paths]


def _walk(node, key: str, skip=()) -> Iterator[Tuple[str, dict]]:
    """``(key, dict)`` of every dict under ``node``, depth first, not
    entering keys in ``skip``."""
    if isinstance(node, (list, tuple)):
        for index, child in enumerate(node):
            yield from _walk(child, f'{key}.{index}', skip)
    elif isinstance(node, dict):
        yield key, node
        for child_key, child in node.items():
            if child_key not in skip:
                yield from _walk(child, f'{key}.{child_key}', skip)


def _dataset_paths(cfg: Config,
                   loaders) -> Iterator[Tuple[str, RequiredPath]]:
    for stage in loaders:
        loader = cfg.get(f'{stage}_dataloader')
        if not loader or (stage == 'val' and cfg.get('val_cfg') is None):
            continue  # the Runner builds no loop for it
        many = isinstance(loader, (list, tuple))
        for index, item in enumerate(loader if many else [loader]):
            if not isinstance(item, dict):
                continue
            prefix = f'{stage}_dataloader' + (f'.{index}' if many else '')
            for key, node in _walk(item.get('dataset'), f'{prefix}.dataset',
                                   skip=_NOT_DATASETS):
                for path in _reported(node, key, DATASETS):
                    yield key, path


def _pretrained(init_cfg, key: str) -> Iterator[RequiredPath]:
    """``init_cfg=dict(type='Pretrained', checkpoint=...)`` (or a list)."""
    many = isinstance(init_cfg, (list, tuple))
    for index, item in enumerate(init_cfg if many else [init_cfg]):
        if not isinstance(item, dict) or item.get('type') != 'Pretrained':
            continue
        checkpoint = item.get('checkpoint')
        if isinstance(checkpoint, str):
            item_key = f'{key}.{index}' if many else key
            yield RequiredPath(
                checkpoint, 'file', f'{item_key}.checkpoint',
                'pretrained weights (init_cfg)', training_only=True)


def _model_paths(model) -> Iterator[Tuple[str, RequiredPath]]:
    specific, generic = [], []
    for key, node in _walk(model, 'model', skip=('init_cfg', )):
        specific += [(key, p) for p in _reported(node, key, MODELS)]
        if 'init_cfg' in node:
            specific += [(key, p) for p in
                         _pretrained(node['init_cfg'], f'{key}.init_cfg')]
        checkpoint = node.get('checkpoint')
        if isinstance(checkpoint, str):
            generic.append((key, RequiredPath(
                checkpoint, 'checkpoint', f'{key}.checkpoint', 'checkpoint',
                CHECKPOINT_HINT, training_only=True)))
    yield from specific
    # A class that reported a path said more about it than the key's name.
    known = {normalize_path(p.path) for _, p in specific}
    yield from ((key, p) for key, p in generic
                if normalize_path(p.path) not in known)


def required_inputs(cfg: Config, *, stage: str = 'train',
                    checkpoint: Optional[str] = None
                    ) -> List[Tuple[str, RequiredPath]]:
    """Every local path a tool running ``stage`` on ``cfg`` reads, as
    ``(key of the config dict that reports it, RequiredPath)``.

    Args:
        cfg: the config, after ``--cfg-options`` and the tool's own
            changes (``load_from``/``resume`` from ``--resume``).
        stage: ``'train'`` (train and val loaders, the model with what
            training loads, ``load_from``), ``'test'`` (test loaders, the
            model as built) or ``'infer'`` (the model as built).
        checkpoint: the tool's checkpoint argument, if any.
    """
    if stage not in STAGES:
        raise ValueError(f'stage must be one of {sorted(STAGES)}, got '
                         f'{stage!r}')
    training = STAGES[stage]['training']
    # A resume restores what these only initialise (drop_initial_weights).
    resuming = training and bool(cfg.get('resume'))
    found = list(_dataset_paths(cfg, STAGES[stage]['loaders']))
    found += [(key, p) for key, p in _model_paths(cfg.get('model'))
              if (training or not p.training_only) and
              not (resuming and p.initial_weights)]
    load_from = cfg.get('load_from')
    if training and isinstance(load_from, str):
        found.append(('', RequiredPath(
            load_from, 'file', 'load_from',
            'checkpoint to resume from' if cfg.get('resume') else
            'weights to start from', WEIGHTS_HINT)))
    if checkpoint is not None:
        # A file or a work dir (its newest checkpoint), as the tools take.
        found.append(('', RequiredPath(
            checkpoint, 'checkpoint', 'checkpoint argument',
            'the weights to test' if stage == 'test' else
            'the weights to restore with', WEIGHTS_HINT)))
    return [(owner, p._replace(path=normalize_path(p.path)))
            for owner, p in found if p.path and not is_remote(p.path)]


def drop_initial_weights(cfg: Config) -> List[str]:
    """On a resume, set to ``None`` every model path that only initialises
    weights the checkpoint restores (``RequiredPath.initial_weights``), so
    that building the model does not read it; return their keys.

    UniRemovalDA's student starts from the KT checkpoint: without this a
    ``--resume`` demanded that file (and loaded it, to be overwritten at
    once), although the DA checkpoint holds the student it trained. The
    resume's weights check (``ResumeWeightsHook``) still requires every
    network in the file.
    """
    if not cfg.get('resume'):
        return []
    dropped = []
    for _, required in _model_paths(cfg.get('model')):
        if required.initial_weights:
            parent, _, name = required.key.rpartition('.')
            node = cfg
            for part in parent.split('.'):
                node = node[int(part)] if isinstance(node, (list, tuple)) \
                    else node[part]
            node[name] = None
            dropped.append(required.key)
    return dropped


def path_problem(path: str, kind: str) -> Optional[str]:
    """Why ``path`` cannot serve as a ``kind`` (None: it can)."""
    if kind == 'folder':
        if osp.isdir(path):
            return None
        return 'is a file, not a folder' if osp.exists(path) else \
            'not found'
    if osp.isfile(path):
        return None
    if kind == 'checkpoint' and osp.isdir(path):
        if osp.isfile(osp.join(path, 'last_checkpoint')):
            return None
        return 'a folder without last_checkpoint (no finished run there)'
    return 'is a folder, not a file' if osp.exists(path) else 'not found'


def _inside(path: str, folder: str) -> bool:
    return path != folder and path.startswith(folder.rstrip(os.sep) + os.sep)


def missing_inputs(cfg: Config, *, stage: str = 'train',
                   checkpoint: Optional[str] = None) -> List[MissingInput]:
    """The inputs of :func:`required_inputs` that are not there, one item
    per path, in config order. What a dataset expects inside one of its
    missing folders is folded into that folder's ``contents``."""
    missing = {}  # path -> MissingInput, in order
    by_owner = {}  # config dict -> its missing paths (not folded)
    for owner, required in required_inputs(cfg, stage=stage,
                                           checkpoint=checkpoint):
        problem = path_problem(required.path, required.kind)
        if problem is None:
            continue
        path, own = required.path, by_owner.setdefault(owner, [])
        parent = next((p for p in own if _inside(path, p)), None)
        if parent is not None:
            relative = osp.relpath(path, parent)
            contents = missing[parent].contents
            if not any(relative == c.rstrip('/') or
                       (c.endswith('/') and relative.startswith(c))
                       for c in contents):
                contents.append(relative +
                                ('/' if required.kind == 'folder' else ''))
            hints = missing[parent].hints
            if required.hint and required.hint not in hints:
                hints.append(required.hint)
            continue
        if path in own:
            continue  # one use per dataset (GoPro's sides are its root)
        own.append(path)
        item = missing.setdefault(path, MissingInput(
            path, required.kind, problem, [], [], []))
        use = (required.key, required.what)
        if use not in item.uses:
            item.uses.append(use)
        if required.hint and required.hint not in item.hints:
            item.hints.append(required.hint)
    return list(missing.values())


def format_missing_inputs(missing: List[MissingInput], tool: str,
                          config: str) -> str:
    """One message listing ``missing``: each path, what it is, which
    config keys name it and where to get it, then how to point the config
    elsewhere."""
    count = len(missing)
    lines = [f'{tool}: {count} input{"s" if count != 1 else ""} of {config} '
             f'{"are" if count != 1 else "is"} missing (nothing was '
             'started):']
    for item in missing:
        kind = ('checkpoint file or work dir' if item.kind == 'checkpoint'
                else item.kind)
        if item.contents:
            kind += ' with ' + ', '.join(item.contents)
        lines.append(f'  - {item.path}  ({kind}; {item.problem})')
        lines += [f'      for {key}: {what}' for key, what in item.uses]
        lines += [f'      get it: {hint}' for hint in item.hints]
    keys = [key for item in missing for key, _ in item.uses
            if key != 'checkpoint argument']
    if any('_dataloader.' in key for key in keys):
        lines.append(f'Dataset layouts and where to get each set: {DOCS}.')
    if keys:
        lines.append(
            'To use other paths without editing the config, pass the keys '
            f'above to --cfg-options, e.g. --cfg-options {keys[0]}=PATH')
    return '\n'.join(lines)


def _local_rank() -> int:
    return int(os.environ.get('LOCAL_RANK',
                              os.environ.get('SLURM_LOCALID', '0')))


def exit_if_inputs_missing(cfg: Union[str, Config], tool: str, *,
                           stage: str,
                           checkpoint: Optional[str] = None) -> None:
    """Print every missing input of ``cfg`` to stderr and exit with status
    2, or return if nothing is missing.

    Every process of a distributed run checks and exits; one per machine
    (local rank 0) prints, and under torchrun the others wait a moment
    before exiting, since their exit stops the printing one. ``cfg`` may
    be a config file's path.
    """
    if isinstance(cfg, str):
        cfg = Config.fromfile(cfg)
    missing = missing_inputs(cfg, stage=stage, checkpoint=checkpoint)
    if not missing:
        return
    if _local_rank() == 0:
        print(format_missing_inputs(missing, tool,
                                    cfg.filename or 'the config'),
              file=sys.stderr, flush=True)
    elif 'TORCHELASTIC_RUN_ID' in os.environ:
        # torchrun stops every process as soon as one exits: leave the
        # printing one time to print.
        time.sleep(QUIET_RANK_EXIT_DELAY_S)
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    sys.exit(2)


__all__ = ['MissingInput', 'required_inputs', 'missing_inputs',
           'drop_initial_weights', 'path_problem', 'format_missing_inputs',
           'exit_if_inputs_missing']
