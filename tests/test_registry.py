import subprocess
import sys

from mmengine.registry import DefaultScope
from mmengine.registry import MODELS as MMENGINE_MODELS

from toolbox import registry


def test_registries_are_scoped_children_of_mmengine_roots():
    for name in ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS',
                 'LOOPS', 'OPTIM_WRAPPERS', 'DATA_SAMPLERS'):
        child = getattr(registry, name)
        assert child.scope == 'toolbox'
        assert child.parent is not None and child.parent.scope == 'mmengine'
    assert registry.MODELS.parent is MMENGINE_MODELS


def test_backbones_heads_losses_build_anywhere():
    assert registry.BACKBONES is registry.MODELS
    assert registry.LOSSES is registry.MODELS
    assert registry.HEADS is registry.MODELS
    net = registry.MODELS.build(dict(type='DnCNN', depth=2, norm=None))
    assert type(net).__name__ == 'DnCNN'


def test_default_scope_finds_toolbox_modules_from_mmengine_root():
    with DefaultScope.overwrite_default_scope('toolbox'):
        model = MMENGINE_MODELS.build(
            dict(type='Restorer',
                 generator=dict(type='DnCNN', depth=2, norm=None)))
    assert type(model).__name__ == 'Restorer'


def test_import_is_light():
    code = ('import sys, toolbox, toolbox.registry; '
            'print(any(m.startswith("toolbox.models") for m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == 'False'
