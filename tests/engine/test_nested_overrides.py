"""Issue 28 defect 9: a misspelled key inside a nested override (a hook's,
a model's, a transform's argument) is refused before training, with the
closest valid names; valid ones, documented ones included, pass."""
import pytest
from mmengine.config import Config

from tests.tools.test_reliability import TINY, run_inprocess
from toolbox.cfg_options import accepted_arguments, check_cfg_options
from toolbox.user_errors import UserError

TYPOS = [
    (TINY, 'default_hooks.checkpoint.max_keep_ckpt', 2,
     "CheckpointHook has no argument 'max_keep_ckpt' (did you mean "
     'max_keep_ckpts?)'),
    (TINY, 'model.generator.depthh', 6,
     "DnCNN has no argument 'depthh' (did you mean depth?)"),
    (TINY, 'default_hooks.logger.intervall', 5,
     "LoggerHook has no argument 'intervall' (did you mean interval"),
    (TINY, 'train_dataloader.dataset.pipeline.2.crop_sizee', 8,
     "PairedRandomCrop has no argument 'crop_sizee'"),
    (TINY, 'optim_wrapper.optimizer.weight_decayy', 0.1,
     "Adam has no argument 'weight_decayy'"),
    ('configs/uniremoval/kt_mprnet_demo.py', 'model.feature_loss.temperatur',
     1, "FeatureContrastiveLoss has no argument 'temperatur' (did you mean "
     'temperature?)'),
    ('configs/cyclegan/cyclegan_demo.py', 'model.gan_loss.gan_typ', 'lsgan',
     "GANLoss has no argument 'gan_typ' (did you mean gan_type?)"),
]

VALID = [
    (TINY, 'default_hooks.checkpoint.save_optimizer', False),  # new, valid
    (TINY, 'default_hooks.visualization.num_images', 8),
    (TINY, 'model.generator.depth', 8),
    (TINY, 'optim_wrapper.paramwise_cfg', dict(norm_decay_mult=0)),
    ('configs/uniremoval/kt_mprnet.py', 'model.image_loss.embedding.download',
     False),
    ('configs/uniremoval/kt_mprnet_demo.py', 'model.feature_loss.form',
     'ratio'),
    ('configs/cyclegan/cyclegan_resnet9_unpaired.py',
     'model.test_cfg.direction', 'b2a'),
    ('configs/dcdgan/dcdgan_rain800.py',
     'train_dataloader.dataset.pipeline.2.size', 256),
    ('configs/mprnet/mprnet_derain_rain13k.py', 'param_scheduler.0.gamma',
     0.99),
]


@pytest.mark.parametrize('config,key,value,message', TYPOS)
def test_a_misspelled_nested_key_is_refused(config, key, value, message):
    with pytest.raises(UserError) as error:
        check_cfg_options(Config.fromfile(config), {key: value})
    assert f'{key}: {message}' in str(error.value)


@pytest.mark.parametrize('config,key,value', VALID)
def test_valid_nested_keys_pass(config, key, value):
    assert check_cfg_options(Config.fromfile(config), {key: value}) == {
        key: value}


def test_kwargs_are_followed_where_they_are_known():
    from mmengine.hooks import CheckpointHook

    from toolbox.models.losses.contrastive import FeatureContrastiveLoss
    # The toolbox's **kwargs go to the base class's constructor.
    assert {'level_weights', 'temperature', 'form'} <= accepted_arguments(
        FeatureContrastiveLoss)
    # CheckpointHook hands its **kwargs to Runner.save_checkpoint.
    assert 'save_optimizer' in accepted_arguments(CheckpointHook)
    # Anyone else's **kwargs may go anywhere: every name is accepted.
    assert accepted_arguments(lambda **kwargs: None) is None


def test_train_stops_before_training(repo_root, capsys, monkeypatch,
                                     tmp_path):
    code, log = run_inprocess(repo_root, 'tools/train.py', [
        TINY, '--work-dir', tmp_path / 'w', '--cfg-options',
        'default_hooks.checkpoint.max_keep_ckpt=2'], capsys, monkeypatch)
    assert code == 2, log[-2000:]
    assert 'did you mean max_keep_ckpts?' in log and 'Traceback' not in log
    assert not (tmp_path / 'w').exists() or not list(
        (tmp_path / 'w').glob('*.pth'))
