"""TextOnceConfig: the formatted config text is computed once per content,
is always the text of the config as it is now, and is what the Runner
logs, dumps and saves in checkpoints."""
import copy
import pickle

import pytest
from mmengine.config import Config

from toolbox.engine.config_text import TextOnceConfig


@pytest.fixture
def formatting_count(monkeypatch):
    """How many times MMEngine's formatter ran."""
    calls = []
    original = Config.pretty_text.fget

    def counting(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(Config, 'pretty_text', property(counting))
    return calls


def test_text_is_formatted_once_and_equals_mmengines(formatting_count):
    plain = Config(dict(model=dict(type='DnCNN', depth=6), lr=1e-3))
    expected = plain.pretty_text
    once = TextOnceConfig.of(plain)
    assert [once.pretty_text for _ in range(4)] == [expected] * 4
    assert len(formatting_count) == 2  # plain's read, then once's first


def test_a_changed_entry_gives_the_new_text(formatting_count):
    once = TextOnceConfig(dict(model=dict(type='DnCNN', depth=6)))
    before = once.pretty_text
    once.model.depth = 8
    after = once.pretty_text
    assert 'depth=6' in before and 'depth=8' in after
    assert after == Config(dict(model=dict(type='DnCNN', depth=8))
                           ).pretty_text


def test_copies_and_pickles_stay_text_once():
    once = TextOnceConfig(dict(a=1))
    for other in (copy.copy(once), copy.deepcopy(once),
                  pickle.loads(pickle.dumps(once))):
        assert isinstance(other, TextOnceConfig)
        assert other.pretty_text == once.pretty_text


def test_a_runner_formats_its_config_once(tmp_path, repo_root, monkeypatch,
                                          formatting_count):
    from tests.helpers import write_paired_folder
    from toolbox.engine.runner import ToolboxRunner
    monkeypatch.chdir(repo_root)
    write_paired_folder(tmp_path / 'data', count=2, size=64)
    cfg = Config.fromfile('configs/demo/tiny_restorer.py')
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = str(tmp_path / 'data')
    cfg.train_dataloader.batch_size = 1
    cfg.train_cfg.max_iters = 2
    cfg.train_cfg.val_interval = 100
    cfg.param_scheduler[0].T_max = 2
    cfg.default_hooks.checkpoint.interval = 1
    cfg.work_dir = str(tmp_path / 'work')
    runner = ToolboxRunner.from_cfg(cfg)
    runner.train()
    # Read by the log, dump_config, the visualizer, RuntimeInfoHook and
    # two checkpoints; formatted once.
    assert len(formatting_count) == 1
    import torch
    saved = torch.load(tmp_path / 'work' / 'iter_2.pth', weights_only=False)
    assert saved['meta']['cfg'] == runner.cfg.pretty_text
    assert 'DnCNN' in saved['meta']['cfg']
