"""The check of a config's inputs before a tool starts
(toolbox/app/input_check.py): every missing file and folder in one
message, exit status 2, no traceback; nothing reported for a config whose
inputs are there."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from tests.helpers import run_script
from toolbox.app.input_check import (exit_if_inputs_missing,
                                     format_missing_inputs, missing_inputs)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAPER_CONFIGS = sorted(
    osp.relpath(path, ROOT) for folder in ('mprnet', 'uniremoval')
    for path in glob.glob(osp.join(ROOT, 'configs', folder, '*.py'))
    if not path.endswith('_demo.py'))
DEMO_CONFIGS = sorted(
    osp.relpath(path, ROOT)
    for path in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
    if path.endswith('_demo.py') or '/configs/demo/' in path)
VGG = osp.join('torch', 'hub', 'checkpoints', 'vgg19-dcbb9e9d.pth')
# What kt_mprnet.py reads, in the order the message lists it.
KT_INPUTS = [
    'data/RESIDE/OTS', 'data/Rain1400/train', 'data/GoPro/train',
    'data/RESIDE/SOTS/outdoor', 'data/Rain1400/test', 'data/GoPro/test',
    'work_dirs/teacher_dehaze_ots', 'work_dirs/teacher_derain_rain1400',
    'work_dirs/teacher_deblur_gopro'
]


@pytest.fixture
def bare(tmp_path, monkeypatch):
    """A machine without data: an empty working dir and torch hub."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    return tmp_path


def load(name: str) -> Config:
    return Config.fromfile(osp.join(ROOT, name))


def run_tool(cwd, script, *args):
    """``script`` (an absolute path) as ``__main__`` in ``cwd``, in this
    process, with ``cwd/torch`` as the torch hub."""
    result = run_script(cwd, script, *args,
                        env={'TORCH_HOME': str(cwd / 'torch')})
    return result.returncode, result.stdout + result.stderr


def test_kt_config_lists_every_missing_input(bare):
    missing = missing_inputs(load('configs/uniremoval/kt_mprnet.py'))
    assert [m.path for m in missing] == KT_INPUTS + [str(bare / VGG)]
    ots = missing[0]
    assert ots.kind == 'folder' and ots.problem == 'not found'
    assert ots.contents == ['hazy/', 'clear/']
    assert ots.uses == [('train_dataloader.dataset.datasets.0.data_root',
                         "RESIDEDataset 'ots'")]
    assert 'docs/datasets.md#reside' in ots.hints[0]
    # GoPro's sides are its root: one use, not three.
    assert missing[2].uses == [
        ('train_dataloader.dataset.datasets.2.data_root',
         "GoProDataset 'gopro_train'")]
    assert missing[3].uses[0][0] == 'val_dataloader.0.dataset.data_root'
    haze = missing[6]
    assert haze.kind == 'checkpoint'
    assert haze.uses == [('model.teachers.haze.checkpoint',
                          "UniRemovalKT's 'haze' teacher")]
    vgg = missing[-1]
    assert vgg.uses[0][0] == 'model.image_loss.embedding.pretrained'
    assert 'download.pytorch.org' in vgg.hints[0]


def test_train_tool_on_kt_config_exits_2_with_one_message(tmp_path):
    code, log = run_tool(tmp_path, osp.join(ROOT, 'tools', 'train.py'),
                         osp.join(ROOT, 'configs/uniremoval/kt_mprnet.py'))
    assert code == 2, log[-3000:]
    assert 'Traceback' not in log
    assert '10 inputs of ' in log and 'are missing' in log
    for path in KT_INPUTS + [str(tmp_path / VGG)]:
        assert log.count(f'  - {path}  (') == 1, path
    assert 'docs/datasets.md' in log and '--cfg-options' in log
    assert not (tmp_path / 'work_dirs').exists()  # nothing was started


@pytest.mark.parametrize('config', PAPER_CONFIGS)
def test_every_paper_config_reports_its_data(bare, config):
    cfg = load(config)
    missing = missing_inputs(cfg)
    paths = [m.path for m in missing]
    assert len(paths) == len(set(paths))
    for loader in ('train_dataloader', 'val_dataloader'):
        if cfg.get(loader) is None:  # e.g. DA: no validation in the paper
            continue
        loaders = cfg[loader] if isinstance(cfg[loader], list) else \
            [cfg[loader]]
        for item in loaders:
            dataset = item['dataset']
            for sub in dataset.get('datasets', [dataset]):
                assert sub['data_root'] in paths, (loader, sub['data_root'])
    message = format_missing_inputs(missing, 'tools/train.py', config)
    assert message.startswith(f'tools/train.py: {len(missing)} input')
    assert message.count('\n  - ') == len(missing)


def test_test_tool_lists_missing_checkpoint_and_test_set(tmp_path):
    code, log = run_tool(
        tmp_path, osp.join(ROOT, 'tools', 'test.py'),
        osp.join(ROOT, 'configs/demo/tiny_restorer.py'),
        str(tmp_path / 'no_such.pth'), '--cfg-options',
        f'test_dataloader.dataset.data_root={tmp_path}/no_test_set')
    assert code == 2, log[-3000:]
    assert 'Traceback' not in log
    assert 'tools/test.py: 2 inputs of' in log
    assert (f'  - {tmp_path}/no_such.pth  (checkpoint file or work dir; '
            'not found)') in log
    assert 'for checkpoint argument: the weights to test' in log
    assert (f'  - {tmp_path}/no_test_set  (folder with input/, target/; '
            'not found)') in log
    assert 'for test_dataloader.dataset.data_root' in log


def test_infer_tool_lists_missing_checkpoint(tmp_path):
    code, log = run_tool(
        tmp_path, osp.join(ROOT, 'tools', 'infer.py'),
        osp.join(ROOT, 'configs/demo/tiny_restorer.py'), '--checkpoint',
        str(tmp_path / 'no_such.pth'), '--input', str(tmp_path), '--output',
        str(tmp_path / 'out'))
    assert code == 2, log[-3000:]
    assert 'Traceback' not in log
    assert 'tools/infer.py: 1 input of' in log and 'is missing' in log
    assert (f'  - {tmp_path}/no_such.pth  (checkpoint file or work dir; '
            'not found)') in log
    assert not (tmp_path / 'out').exists()


@pytest.fixture
def demo_tree(bare):
    """What the demo configs read: tools/make_demo_data.py's layout (tiny),
    its LMDB copy and the three demo teachers' work dirs."""
    from toolbox.datasets.lmdb_utils import create_lmdb
    from toolbox.degradations.demo_real_like import make_real_like
    from toolbox.degradations.demo_set import make_demo_set
    from toolbox.degradations.demo_unpaired import make_unpaired_rain
    make_demo_set('data/demo', seed=0, size=32, num_train=1, num_test=1,
                  progress=False)
    make_unpaired_rain('data/demo', seed=0, size=32, num_train=1,
                       num_test=1, progress=False)
    make_real_like('data/demo', seed=0, size=32, num_adapt=1, num_clear=1,
                   num_test=1, progress=False)
    for split in ('train', 'test'):
        for side in ('input', 'target'):
            create_lmdb(f'data/demo/rain/{split}/{side}',
                        f'data/demo_lmdb/rain/{split}/{side}.lmdb',
                        progress=False)
    return bare


def add_demo_teachers(root):
    """Work dirs of the demo teachers and of the KT demo (the DA demo's
    student)."""
    for name in ('teacher_dehaze_demo', 'teacher_derain_demo',
                 'teacher_deblur_demo', 'kt_mprnet_demo'):
        work_dir = root / 'work_dirs' / name
        work_dir.mkdir(parents=True)
        (work_dir / 'iter_300.pth').write_bytes(b'')
        (work_dir / 'last_checkpoint').write_text(
            str(work_dir / 'iter_300.pth'))


@pytest.mark.parametrize('stage', ['train', 'test', 'infer'])
def test_demo_configs_pass_on_the_demo_tree(demo_tree, stage):
    add_demo_teachers(demo_tree)
    checkpoint = demo_tree / 'student.pth'
    checkpoint.write_bytes(b'')
    for config in DEMO_CONFIGS:
        assert missing_inputs(
            load(config), stage=stage,
            checkpoint=None if stage == 'train' else str(checkpoint)
        ) == [], config


def test_teachers_are_needed_for_training_only(demo_tree):
    cfg = load('configs/uniremoval/kt_mprnet_demo.py')
    assert missing_inputs(cfg, stage='test') == []
    missing = missing_inputs(cfg, stage='train')
    assert [m.path for m in missing] == [
        f'work_dirs/teacher_{task}_demo'
        for task in ('dehaze', 'derain', 'deblur')]
    (demo_tree / 'work_dirs' / 'teacher_dehaze_demo').mkdir(parents=True)
    problem = missing_inputs(cfg, stage='train')[0].problem
    assert 'without last_checkpoint' in problem


def paired(root, **kwargs):
    return dict(type='PairedImageDataset', data_root=str(root), **kwargs)


def small_config(train, val=None, **kwargs):
    cfg = dict(
        model=dict(type='Restorer', generator=dict(type='DnCNN')),
        train_dataloader=dict(dataset=train), **kwargs)
    if val is not None:
        cfg.update(val_dataloader=dict(dataset=val), val_cfg=dict())
    return Config(cfg)


def test_shared_path_listed_once_with_every_use(bare):
    cfg = small_config(paired(bare / 'set', name='a'),
                       paired(bare / 'set', name='b'))
    missing = missing_inputs(cfg)
    assert len(missing) == 1
    assert [key for key, _ in missing[0].uses] == [
        'train_dataloader.dataset.data_root',
        'val_dataloader.dataset.data_root']


def test_missing_side_and_lmdb_of_an_existing_root(bare):
    (bare / 'set' / 'input').mkdir(parents=True)
    cfg = small_config(paired(bare / 'set'),
                       paired(bare / 'set',
                              data_prefix=dict(img='input',
                                               gt='target.lmdb')))
    missing = missing_inputs(cfg)
    assert [(m.path, m.contents) for m in missing] == [
        (str(bare / 'set' / 'target'), []),
        (str(bare / 'set' / 'target.lmdb'), ['data.mdb', 'meta_info.txt'])]
    assert missing[1].uses[0][0] == 'val_dataloader.dataset.data_prefix.gt'
    assert 'tools/create_lmdb.py' in missing[1].hints[0]


def test_weights_urls_and_training_only_inputs(bare):
    (bare / 'set' / 'input').mkdir(parents=True)
    (bare / 'set' / 'target').mkdir(parents=True)
    cfg = small_config(paired(bare / 'set'), load_from='https://x/y.pth')
    cfg.model.generator.init_cfg = dict(type='Pretrained',
                                        checkpoint='weights/dncnn.pth')
    assert missing_inputs(cfg, stage='test') == []
    missing = missing_inputs(cfg, stage='train')
    assert [(m.path, m.uses[0][0]) for m in missing] == [
        ('weights/dncnn.pth', 'model.generator.init_cfg.checkpoint')]
    cfg.load_from, cfg.resume = 'ckpt/iter_2.pth', True
    assert missing_inputs(cfg)[-1].uses == [
        ('load_from', 'checkpoint to resume from')]


@pytest.mark.parametrize('local_rank', ['0', '1'])
def test_exit_helper_exits_2_on_every_rank(bare, monkeypatch, capsys,
                                           local_rank):
    monkeypatch.setenv('LOCAL_RANK', local_rank)
    monkeypatch.delenv('TORCHELASTIC_RUN_ID', raising=False)  # no wait
    cfg = small_config(paired(bare / 'nothing'))
    with pytest.raises(SystemExit) as exit_info:
        exit_if_inputs_missing(cfg, 'tools/train.py', stage='train')
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert ('nothing  (folder with input/, target/' in err) == (
        local_rank == '0')


@pytest.mark.parametrize('cfg, expected', [
    (dict(type='SPADataset', data_root='spa'),
     [('spa', 'folder', 'data_root'),
      ('spa', 'folder', 'data_prefix.img'),
      ('spa', 'folder', 'data_prefix.gt'),
      ('spa/real_test_1000.txt', 'file', 'ann_file')]),
    (dict(type='HybridDistortionDataset', data_root='div2k/test',
          level='mild'),
     [('div2k/test/mild', 'folder', 'data_root'),
      ('div2k/test/mild/input', 'folder', 'data_prefix.img'),
      ('div2k/test/mild/target', 'folder', 'data_prefix.gt')]),
    (dict(type='UnpairedImageDataset', data_root='u',
          data_prefix=dict(img='/abs/a', ref='b.lmdb')),
     [('u', 'folder', 'data_root'),
      ('/abs/a', 'folder', 'data_prefix.img'),
      ('u/b.lmdb', 'folder', 'data_prefix.ref'),
      ('u/b.lmdb/data.mdb', 'file', 'data_prefix.ref'),
      ('u/b.lmdb/meta_info.txt', 'file', 'data_prefix.ref')]),
])
def test_datasets_report_their_resolved_paths(cfg, expected):
    from toolbox.registry import DATASETS
    paths = DATASETS.get(cfg['type']).required_paths(cfg)
    assert [(p.path, p.kind, p.key) for p in paths] == expected


def test_checkpoint_argument_may_be_a_work_dir(tmp_path):
    """tools/test.py and infer.py take a work dir (its newest checkpoint)."""
    cfg = Config(dict(model=dict(type='Restorer')))
    work_dir = tmp_path / 'run'
    work_dir.mkdir()
    missing = missing_inputs(cfg, stage='infer', checkpoint=str(work_dir))
    assert [m.problem for m in missing] == [
        'a folder without last_checkpoint (no finished run there)']
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_2.pth'))
    assert missing_inputs(cfg, stage='infer', checkpoint=str(work_dir)) == []
