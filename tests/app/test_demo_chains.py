"""The demo chains of tools/demo.py are consistent tables of steps: every
config exists, every test and checkpoint placeholder refers to a training
the chain runs first, and building data/demo happens only when a part is
missing or out of date."""
import os
import os.path as osp
import string

import pytest

from toolbox.app import demo
from toolbox.app.demo import DemoRun, DemoSettings
from toolbox.app.demo_chains import (CHAINS, Chain, Evaluate, Train,
                                     independent_groups)
from toolbox.degradations.demo_stamp import (check_stamp, stamp_path,
                                             write_stamp)


def _name(config):
    return osp.splitext(osp.basename(config))[0]


@pytest.mark.parametrize('name', list(CHAINS))
def test_chain_steps_refer_to_earlier_trainings(name, repo_root):
    trained = set()
    chain = CHAINS[name]
    assert chain.duration and chain.doc and osp.isfile(
        osp.join(repo_root, chain.doc))
    assert any(isinstance(s, Evaluate) and s.column for s in chain.steps)
    for step in chain.steps:
        config = step.config if isinstance(step, Train) else (
            step.config or step.trained)
        assert osp.isfile(osp.join(repo_root, 'configs', config)), config
        if isinstance(step, Train):
            for value in step.options.values():
                for _, field, _, _ in string.Formatter().parse(str(value)):
                    assert field is None or field in trained, (config, field)
            trained.add(_name(step.config))
        else:
            assert _name(step.trained) in trained, step


def _fake_builders(monkeypatch, calls):
    """Builders that record their call and, as the real ones do, write a
    file into their folder and the current stamp last."""
    from toolbox.degradations import demo_set, demo_unpaired
    for module, part, function, folder in (
            (demo_set, 'paired', 'make_demo_set', 'rain'),
            (demo_unpaired, 'unpaired', 'make_unpaired_rain',
             'unpaired/rain')):
        def build(out, module=module, part=part, folder=folder, **kw):
            calls.append((part, out))
            written_to = osp.join(out, folder)
            os.makedirs(written_to, exist_ok=True)
            open(osp.join(written_to, 'new.png'), 'wb').close()
            write_stamp(out, part, module.DATA_VERSION, {})
            return {folder: 1}
        monkeypatch.setattr(module, function, build)


def test_data_is_built_only_when_missing(tmp_path, monkeypatch):
    """Each part a chain reads is built when its folder is missing: the
    restorer reads the paired set only; the GAN demos the unpaired rain
    set, added to a data/demo made before it existed."""
    calls = []
    _fake_builders(monkeypatch, calls)
    monkeypatch.chdir(tmp_path)
    run = DemoRun('restorer', DemoSettings(config_root='configs'))
    run.prepare_data()
    assert calls == [('paired', demo.DEMO_DATA)]
    run.prepare_data()
    assert calls == [('paired', demo.DEMO_DATA)]
    gan = DemoRun('cyclegan', DemoSettings(config_root='configs'))
    gan.prepare_data()
    assert calls[1:] == [('unpaired', demo.DEMO_DATA)]
    gan.prepare_data()
    assert len(calls) == 2


@pytest.mark.parametrize('stamp', ['none', 'older', 'unreadable'])
def test_stale_data_is_rebuilt_from_an_empty_folder(stamp, tmp_path,
                                                    monkeypatch, capsys):
    """A part without a stamp (an interrupted build, a toolbox before the
    stamps), with an older data version or with a broken stamp is removed
    and built again, and the demo says why; the other parts stay."""
    from toolbox.degradations import demo_unpaired
    calls = []
    _fake_builders(monkeypatch, calls)
    monkeypatch.chdir(tmp_path)
    old = tmp_path / demo.DEMO_DATA / 'unpaired' / 'rain' / 'train' / 'x.png'
    old.parent.mkdir(parents=True)
    old.write_bytes(b'old')
    other = tmp_path / demo.DEMO_DATA / 'rain' / 'kept.png'
    other.parent.mkdir(parents=True)
    other.write_bytes(b'')
    path = stamp_path(demo.DEMO_DATA, 'unpaired')
    if stamp == 'older':
        write_stamp(demo.DEMO_DATA, 'unpaired',
                    demo_unpaired.DATA_VERSION - 1, {})
    elif stamp == 'unreadable':
        with open(path, 'w') as file:
            file.write('{"data_version": ')
    DemoRun('cyclegan', DemoSettings(config_root='configs')).prepare_data()
    assert calls == [('unpaired', demo.DEMO_DATA)]
    assert not old.exists() and old.parent.parent.joinpath('new.png').exists()
    assert other.exists()
    said = capsys.readouterr().out
    assert 'rebuilding the unpaired rain set' in said and path in said
    assert check_stamp(demo.DEMO_DATA, 'unpaired',
                       demo_unpaired.DATA_VERSION).current


def test_a_finished_training_is_reused(repo_root, tmp_path, monkeypatch,
                                       capsys):
    def no_training(*args, **kwargs):
        raise AssertionError('trained although the checkpoint was there')

    monkeypatch.setattr('toolbox.app.runs.train_from_config',
                        no_training)
    final = tmp_path / 'tiny_restorer' / 'iter_400.pth'
    final.parent.mkdir()
    final.write_bytes(b'')
    run = DemoRun('restorer', DemoSettings(
        config_root=osp.join(repo_root, 'configs'),
        work_root=str(tmp_path)))
    run._total = 2
    run.train(Train('demo/tiny_restorer.py'))
    assert run.checkpoints == {'tiny_restorer': str(final)}
    assert f'reusing {final}' in capsys.readouterr().out


def test_one_thread_on_a_busy_machine(monkeypatch):
    import os

    import torch
    calls = []
    monkeypatch.setattr(torch, 'set_num_threads', calls.append)
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.setattr(os, 'cpu_count', lambda: 2)
    monkeypatch.setattr(os, 'getloadavg', lambda: (1.5, 1.0, 1.0))
    assert demo.select_threads() is None and calls == []
    monkeypatch.setattr(os, 'getloadavg', lambda: (12.0, 9.0, 8.0))
    assert 'load 12.0 on 2' in demo.select_threads() and calls == [1]
    monkeypatch.setenv('OMP_NUM_THREADS', '2')  # the user's choice wins
    assert demo.select_threads() is None and calls == [1]


def test_trainings_that_need_no_other_are_grouped():
    """The groups that may train side by side: the GAN demos' three
    trainings; the teachers, then the KT student (it needs them), then the
    three DA rows (they need it); every test alone."""
    def shape(name):
        return [tuple(_name(s.config) for s in group)
                if isinstance(group[0], Train) else 'test'
                for group in independent_groups(CHAINS[name].steps)]

    assert shape('dcdgan') == [
        ('cyclegan_demo', 'dcdgan_demo', 'gan_demo_paired_probe',
         'cyclegan_antialias_probe'),
        'test', 'test', 'test', 'test']
    assert shape('da')[:3] == [
        ('teacher_dehaze_demo', 'teacher_derain_demo', 'teacher_deblur_demo'),
        ('kt_mprnet_demo', ),
        ('da_mprnet_bda_demo', 'da_mprnet_bda_eicl_demo', 'da_mprnet_demo')]
    assert set(shape('da')[3:]) == {'test'}


@pytest.mark.parametrize('side_by_side,jobs,expected', [
    (False, None, 'here'), (True, None, 'side'), (False, 2, 'side'),
    (True, 1, 'here')])
def test_which_chains_train_side_by_side(repo_root, tmp_path, monkeypatch,
                                         side_by_side, jobs, expected):
    """A chain trains side by side by default only where it says so
    (the dcdgan chain); --jobs decides for any chain."""
    import os

    assert CHAINS['dcdgan'].side_by_side
    assert not CHAINS['da'].side_by_side and not CHAINS['fdrnet'].side_by_side
    monkeypatch.setattr(os, 'cpu_count', lambda: 2)
    monkeypatch.setattr(os, 'getloadavg', lambda: (0.0, 0.0, 0.0))
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    ways = []

    def here(cfg, tool, hooks=()):
        ways.append('here')
        os.makedirs(cfg.work_dir, exist_ok=True)
        open(osp.join(cfg.work_dir, 'iter_400.pth'), 'wb').close()

    def side(jobs, processes, threads, on_start, on_done):
        ways.append(('side', len(jobs), processes, threads))

    monkeypatch.setattr(demo, 'train_from_config', here)
    monkeypatch.setattr(demo, 'run_side_by_side', side)
    # No data here: nothing trains, so the inputs' check has nothing to do.
    monkeypatch.setattr(demo, 'exit_if_inputs_missing', lambda *a, **k: None)
    monkeypatch.setitem(CHAINS, 'pair', Chain(
        'pair', '1 min', 'docs', (
            Train('demo/tiny_restorer.py', seeds=(0, 1)),
            Evaluate('demo/tiny_restorer.py', 'tiny', 'tiny')),
        side_by_side=side_by_side))
    run = DemoRun('pair', DemoSettings(
        config_root=osp.join(repo_root, 'configs'), work_root=str(tmp_path),
        jobs=jobs))
    run._total = 3
    run.train(CHAINS['pair'].steps[0])
    assert ways == (['here', 'here'] if expected == 'here'
                    else [('side', 2, 2, 1)])
