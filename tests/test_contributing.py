"""CONTRIBUTING.md, checked.

* Every repository path that CONTRIBUTING.md and docs/architecture.md name
  exists (:func:`named_paths` says what counts as one).
* The guide's steps, done once for a toy method: its marked code blocks
  (the fenced block after ``<!-- contributing:NAME -->``) are written into
  a package in ``tmp_path`` that a config imports with ``custom_imports``
  (as tests/test_plugins.py does), and ``tools/train.py`` trains the
  guide's config, a ``Restorer`` of its backbone and loss, for two
  iterations. The guide's snippets are therefore the code that runs.
"""
import importlib
import math
import posixpath
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from tests.helpers import run_tool_in_process, write_paired_folder

ROOT = Path(__file__).resolve().parents[1]
GUIDE = 'CONTRIBUTING.md'
ARCHITECTURE = 'docs/architecture.md'

# ------------------------------------------------------------------ paths
#: The repository's top-level folders: a path that starts with one of them
#: is relative to the repository root.
TOP_LEVEL = ('toolbox', 'configs', 'tools', 'tests', 'docs', 'benchmarks',
             '.ci')
#: A bare file name (``loss_routing.py``), no folder: one of these.
BARE_FILE = re.compile(r'[\w-][\w.-]*\.(py|md|sh)')
#: Words holding one of these are placeholders (``configs/<paper>/``),
#: globs (``tools/*.py``), brace expansions or shell variables.
PLACEHOLDER_CHARS = frozenset('*<>{}$')
#: What ends a path inside a word: quotes, brackets, punctuation, ``=``
#: (``data_root=...``) and ``#`` (a link's anchor).
DELIMITERS = re.compile(r"[`'\"()\[\],;:|=#]")
PATH_SHAPE = re.compile(r'[\w.-]+(/[\w.-]+)*/?')
FENCE = re.compile(r'^```[^\n]*\n(.*?)^```', re.M | re.S)
#: A tree diagram's first line: one folder alone (``toolbox/``).
TREE_ROOT = re.compile(r'[\w.-]+/')


@dataclass(frozen=True)
class Reference:
    """A path a document names: where, as written, and the repository
    paths it may mean; it exists if one of them does."""
    document: str
    line: int
    text: str
    candidates: Tuple[str, ...]

    def exists(self) -> bool:
        return any((ROOT / c).exists() for c in self.candidates)

    def __str__(self):
        return f'{self.document}:{self.line}: {self.text}'


def files_by_name() -> Dict[str, List[str]]:
    """File name → repository paths of that name (the root's files and
    everything under :data:`TOP_LEVEL`)."""
    paths = [p for p in ROOT.iterdir() if p.is_file()]
    for top in TOP_LEVEL:
        paths += [p for p in (ROOT / top).rglob('*') if p.is_file()]
    index: Dict[str, List[str]] = {}
    for path in paths:
        index.setdefault(path.name, []).append(
            path.relative_to(ROOT).as_posix())
    return index


def path_tokens(text: str) -> Iterator[str]:
    """The parts of ``text`` shaped like relative paths: ``a/b.py``,
    ``a/``, ``b.md``. Placeholders, globs, URLs (``https://x/y`` leaves
    ``https`` and an absolute ``//x/y``), absolute paths, paths relative
    to their file (a config's ``../_base_/…``), options
    (``--cfg-options``) and dotted names (``toolbox.registry``) are not."""
    for word in text.split():
        if PLACEHOLDER_CHARS & set(word):
            continue
        for token in DELIMITERS.split(word):
            token = token.rstrip('.')
            if token.startswith('./'):
                token = token[2:]
            if not PATH_SHAPE.fullmatch(token) or '..' in token.split('/'):
                continue  # not a path, or one relative to its file
            if '/' in token or BARE_FILE.fullmatch(token):
                yield token


def text_candidates(token: str, index: Dict[str, List[str]]
                    ) -> Optional[Tuple[str, ...]]:
    """What a path in the text or a code block means; ``None`` where it
    is not one of this repository's.

    * ``docs/…``, ``toolbox/…`` (a :data:`TOP_LEVEL` folder first): that
      path from the root;
    * ``engine/…``, ``models/…`` (a sub-package of ``toolbox/`` first):
      that path in the package, as docs/architecture.md writes them;
    * another path with a ``/`` (``mmengine/runner``,
      ``basicsr/utils/lmdb_util.py``, ``GDN/IGDN``): not this repository's;
    * a bare file name (``loss_routing.py``): any file of that name.
    """
    first = token.split('/')[0]
    if '/' not in token:
        return tuple(index.get(token, ()))
    if first in TOP_LEVEL:
        return (token, )
    if (ROOT / 'toolbox' / first).is_dir():
        return (f'toolbox/{token}', )
    return None


def split_entry(line: str) -> Tuple[List[str], str, Optional[int]]:
    """A tree line's entries, its description and the description's
    column (``None`` without one). A line of several ``name/`` alone
    (``mprnet/  uniremoval/``) is that many entries."""
    words = line.split()
    if len(words) > 1 and all(w.endswith('/') for w in words):
        return words, '', None
    end = line.index(words[0]) + len(words[0])
    rest = line[end:]
    if not rest.strip():
        return words[:1], '', None
    return words[:1], rest, end + len(rest) - len(rest.lstrip())


def tree_references(document: str, first_line: int,
                    block: str) -> Iterator[Reference]:
    """The paths of a tree diagram (docs/architecture.md's layout).

    An entry (a name at the start of a line, two spaces of indent per
    level) is the path of the folders above it. Its description (after
    the name, continued on lines indented at least as far) names paths
    relative to the root (``tools/test.py``) or to the entry's folder or
    one of its ancestors (``engine/input_check.py`` under ``toolbox/``);
    a bare file name there is in one of those folders or next to a path
    named before it in the same description (``… models/algorithms/
    base.py, MMagic CycleGANs in cyclegan.py``). A word with a ``/`` that
    is neither a folder (``name/``) nor a file nor starts with an existing
    folder is prose (``GDN/IGDN``).
    """
    stack: List[str] = []     # the folders of the current entry
    bases: List[str] = []     # where the description's names may be
    column = None             # where descriptions start
    for number, line in enumerate(block.splitlines(), start=first_line):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(' '))
        if column is not None and indent >= column:
            description = line
        else:
            entries, description, start = split_entry(line)
            column = start if start is not None else column
            del stack[indent // 2:]
            for entry in entries:
                path = '/'.join(stack + [entry.rstrip('/')])
                yield Reference(document, number, entry, (path, ))
            if len(entries) == 1 and entries[0].endswith('/'):
                stack.append(entries[0].rstrip('/'))
            bases = ['/'.join(stack[:i]) for i in range(len(stack), 0, -1)]
            bases.append('')
        for token in path_tokens(description):
            first = token.split('/')[0]
            if first in TOP_LEVEL:
                candidates: Sequence[str] = (token, )
            elif '/' in token and not (
                    token.endswith('/') or BARE_FILE.fullmatch(
                        token.rsplit('/', 1)[1]) or any(
                        (ROOT / b / first).is_dir() for b in bases)):
                continue
            else:
                candidates = [posixpath.join(b, token) for b in bases]
            yield Reference(document, number, token, tuple(candidates))
            for candidate in candidates:
                parent = posixpath.dirname(candidate.rstrip('/'))
                if (ROOT / candidate).exists() and parent not in bases:
                    bases.append(parent)


def named_paths(document: str) -> List[Reference]:
    """Every repository path ``document`` (relative to the root) names."""
    return references_in(
        document, (ROOT / document).read_text(encoding='utf-8'))


def references_in(document: str, text: str) -> List[Reference]:
    """The repository paths ``text`` names: in its tree diagrams
    (:func:`tree_references`, a code block whose first line is one
    folder) and everywhere else, code blocks included
    (:func:`text_candidates`)."""
    index = files_by_name()
    references = []
    lines = text.splitlines()
    for match in FENCE.finditer(text):
        block = match.group(1)
        if not TREE_ROOT.fullmatch(block.split('\n', 1)[0].strip()):
            continue
        first = text.count('\n', 0, match.start(1)) + 1
        references += tree_references(document, first, block)
        for number in range(first, first + block.count('\n')):
            lines[number - 1] = ''   # read as a tree, not as text
    for number, line in enumerate(lines, start=1):
        for token in path_tokens(line):
            candidates = text_candidates(token, index)
            if candidates is not None:
                references.append(
                    Reference(document, number, token, candidates))
    return references


def missing_paths(document: str) -> List[str]:
    """The references of ``document`` that name no existing path."""
    return [str(r) for r in named_paths(document) if not r.exists()]


#: Text with every kind of word the extraction must take or leave.
KNOWN_TEXT = """\
Run `python tools/train.py CONFIG --cfg-options a.b=1 --work-dir w/x`,
`configs/<paper>/tables.py`, `tools/*.py`, `teacher_{a,b}.py`, see
[MMEngine](https://github.com/open-mmlab/mmengine), `mmengine/runner`,
`toolbox.registry`, `data_root=/abs/path.py`, `loss_routing.py`, 1/257,
`_base_ = ['../_base_/default_runtime.py']`, e.g. and/or ./tools/test.py.
`engine/gone.py`, GDN/IGDN, `.py` files and `tools/missing.py`.
```
toolbox/
  registry.py          imports engine/checkpoint.py; GDN/IGDN
  nowhere.py
  models/              losses/, no_such_module.py,
                       models/algorithms/base.py, cyclegan.py
  engine/  apis/
```
"""


def test_path_extraction_takes_paths_and_leaves_prose():
    """What counts as a path and where it is looked for, on a text made
    for it: so that the two checks below neither pass because nothing
    was found nor fail on prose."""
    found = {(r.text, r.exists())
             for r in references_in('known.md', KNOWN_TEXT)}
    assert found == {
        ('tools/train.py', True), ('loss_routing.py', True),
        ('tools/test.py', True), ('engine/gone.py', False),
        ('tools/missing.py', False),
        ('toolbox/', True), ('registry.py', True), ('nowhere.py', False),
        ('engine/checkpoint.py', True), ('models/', True),
        ('losses/', True), ('no_such_module.py', False),
        ('models/algorithms/base.py', True), ('cyclegan.py', True),
        ('engine/', True), ('apis/', True)}


def test_contributing_names_only_existing_paths():
    assert len(named_paths(GUIDE)) > 40  # the guide's paths were found
    assert missing_paths(GUIDE) == []


def test_architecture_names_only_existing_paths():
    assert len(named_paths(ARCHITECTURE)) > 100
    assert missing_paths(ARCHITECTURE) == []


# ------------------------------------------------------------- toy method
#: The toy package the guide's blocks are written into: module → block.
TOY_MODULES = {'toy_net': 'toy_backbone', 'toy_loss': 'toy_loss',
               'toy_data': 'toy_dataset'}
TOY_PACKAGE = 'toy_method'


def guide_block(name: str) -> str:
    """The fenced code block right after ``<!-- contributing:NAME -->``
    in CONTRIBUTING.md."""
    marker = f'<!-- contributing:{name} -->'
    text = (ROOT / GUIDE).read_text(encoding='utf-8')
    match = re.search(re.escape(marker) + r'\s*\n```[^\n]*\n(.*?)^```',
                      text, re.S | re.M)
    assert match, f'{GUIDE} has no code block after {marker}'
    return match.group(1)


@pytest.fixture
def toy_package(tmp_path, monkeypatch):
    """``tmp_path/toy_method``, a package of the guide's backbone, loss
    and dataset, importable; what it registered is unregistered after."""
    package = tmp_path / TOY_PACKAGE
    package.mkdir()
    (package / '__init__.py').write_text('')
    for module, block in TOY_MODULES.items():
        (package / f'{module}.py').write_text(guide_block(block))
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield package
    from toolbox.registry import DATASETS, MODELS
    # MMEngine's registries have no public way to unregister a name.
    for registry in (MODELS, DATASETS):
        for name, cls in list(registry.module_dict.items()):
            if cls.__module__.startswith(TOY_PACKAGE):
                registry._module_dict.pop(name)
    for name in [m for m in sys.modules if m.startswith(TOY_PACKAGE)]:
        del sys.modules[name]


def toy_config(repo_root, data) -> str:
    """The guide's config, as it would be in configs/<paper>/, with the
    toy package imported and the size of a test: two iterations on
    ``data``."""
    text = guide_block('toy_config')
    base = "'../demo/tiny_restorer.py'"
    assert base in text  # the guide's config inherits the demo restorer
    text = text.replace(base, repr(f'{repo_root}/configs/demo/'
                                   'tiny_restorer.py'))
    imports = [f'{TOY_PACKAGE}.toy_net', f'{TOY_PACKAGE}.toy_loss']
    return textwrap.dedent(f"""\
        custom_imports = dict(imports={imports!r},
                              allow_failed_imports=False)
        """) + text + textwrap.dedent(f"""
        train_dataloader = dict(batch_size=2,
                                dataset=dict(data_root='{data}/train'))
        val_dataloader = dict(dataset=dict(data_root='{data}/test'))
        test_dataloader = val_dataloader
        train_cfg = dict(max_iters=2, val_interval=2)
        default_hooks = dict(logger=dict(interval=1),
                             checkpoint=dict(interval=2))
        """)


def test_guide_config_trains_its_backbone_and_loss(toy_package, tmp_path,
                                                   repo_root):
    """The guide's config (its backbone, its loss, a Restorer, paired
    folders) trains two iterations through tools/train.py: a checkpoint
    of ToyNet's weights is written and the toy loss is logged."""
    from toolbox.models.algorithms.loss_routing import loss_log_name
    from toolbox.registry import MODELS
    data = tmp_path / 'data'
    write_paired_folder(data / 'train', count=4, size=64)
    write_paired_folder(data / 'test', count=2, size=32, seed=1)
    config = tmp_path / 'configs' / 'toy' / 'toy_demo.py'
    config.parent.mkdir(parents=True)
    config.write_text(toy_config(repo_root, data))
    work_dir = tmp_path / 'work'
    code, log = run_tool_in_process(repo_root, 'tools/train.py',
                                    [config, '--work-dir', work_dir])
    assert code == 0, log[-3000:]
    toy_net, toy_loss = MODELS.get('ToyNet'), MODELS.get('ToyPseudoHuberLoss')
    assert toy_net.__module__ == f'{TOY_PACKAGE}.toy_net'
    assert toy_loss.__module__ == f'{TOY_PACKAGE}.toy_loss'
    last = [line for line in log.splitlines() if 'Iter(train) [2/2]' in line]
    assert last, log[-3000:]
    assert f'{loss_log_name(toy_loss.__name__)}: ' in last[0]
    used = Config.fromfile(str(work_dir / config.name),
                           import_custom_modules=False).model
    assert used.generator.type == 'ToyNet'
    assert [loss.type for loss in used.losses] == ['ToyPseudoHuberLoss']
    state = torch.load(work_dir / 'iter_2.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    expected = {f'generator.{k}': v.shape
                for k, v in MODELS.build(used.generator).state_dict().items()}
    assert {k: v.shape for k, v in state.items()
            if k.startswith('generator.')} == expected


def test_guide_backbone_and_loss_keep_the_contracts(toy_package):
    """The guide's backbone (shapes, ``return_features``) and loss
    (Eq. 1 by hand, ``loss_weight``, both reductions)."""
    importlib.import_module(f'{TOY_PACKAGE}.toy_net')
    importlib.import_module(f'{TOY_PACKAGE}.toy_loss')
    from toolbox.registry import BACKBONES, LOSSES
    net = BACKBONES.build(dict(type='ToyNet', channels=4))
    x = torch.rand(2, 3, 8, 8)
    out, features = net(x, return_features=True)
    assert out.shape == x.shape and torch.equal(net(x), out)
    assert torch.allclose(out, x - features['residual'])

    pred = torch.tensor([0.0, 0.5, 1.0, 0.25]).view(1, 1, 2, 2)
    target = torch.tensor([0.1, 0.5, 0.7, 0.0]).view(1, 1, 2, 2)
    delta = 0.5
    terms = [delta ** 2 * (math.sqrt(1 + (d / delta) ** 2) - 1)
             for d in (-0.1, 0.0, 0.3, 0.25)]
    mean = LOSSES.build(dict(type='ToyPseudoHuberLoss', loss_weight=2.0,
                             delta=delta))
    total = LOSSES.build(dict(type='ToyPseudoHuberLoss', delta=delta,
                              reduction='sum'))
    assert mean(pred, target).item() == pytest.approx(2 * sum(terms) / 4)
    assert total(pred, target).item() == pytest.approx(sum(terms))
    with pytest.raises(ValueError, match='reduction'):
        LOSSES.build(dict(type='ToyPseudoHuberLoss', reduction='max'))


def _write_image(path: Path, value: int):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((8, 8, 3), value, np.uint8))


def test_guide_dataset_pairs_its_layout(toy_package, tmp_path):
    """The guide's dataset pairs ``rainy/<id>_r<k>`` with ``clean/<id>``,
    labels the samples and names an input without a target."""
    importlib.import_module(f'{TOY_PACKAGE}.toy_data')
    from toolbox.registry import DATASETS
    root = tmp_path / 'toyrain'
    for clean, versions in (('000', 2), ('001', 1)):
        _write_image(root / 'clean' / f'{clean}.png', 0)
        for k in range(1, versions + 1):
            _write_image(root / 'rainy' / f'{clean}_r{k}.png', k)
    dataset = DATASETS.build(dict(type='ToyRainDataset', data_root=root))
    pairs = sorted((Path(dataset.get_data_info(i)['img_path']).name,
                    Path(dataset.get_data_info(i)['gt_path']).name)
                   for i in range(len(dataset)))
    assert pairs == [('000_r1.png', '000.png'), ('000_r2.png', '000.png'),
                     ('001_r1.png', '001.png')]
    assert {dataset.get_data_info(i)['degradation']
            for i in range(len(dataset))} == {'rain'}
    _write_image(root / 'rainy' / '002_r1.png', 1)
    with pytest.raises(FileNotFoundError, match='002_r1'):
        DATASETS.build(dict(type='ToyRainDataset', data_root=root))


def test_guide_table_spec_loads_and_lists_its_runs(tmp_path):
    """The guide's table spec is one tools/make_table.py reads: its rows
    in order, a row not run yet listed with the command that fills it."""
    from toolbox.evaluation.table_spec import (NOT_RUN, fill_rows,
                                               load_spec, missing_commands,
                                               render_spec_table)
    spec = tmp_path / 'tables.py'
    spec.write_text(guide_block('toy_tables'))
    tables = load_spec(str(spec))
    assert list(tables) == ['T1']
    table = tables['T1']
    assert [row['label'] for row in table['rows']] == ['Ours', 'Rival']
    rows = fill_rows(table, str(tmp_path / 'work'))
    assert NOT_RUN in render_spec_table(table, rows)
    commands = missing_commands(rows)
    assert any('tools/test.py configs/<paper>/<paper>_toyrain.py' in c
               for c in commands), commands
