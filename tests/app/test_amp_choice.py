"""``--amp``'s choice per model and crop (toolbox.app.amp_choice)."""
import glob

import pytest
from mmengine.config import Config

from toolbox.app.amp_choice import (CPU_BF16_MIN_PIXELS, choose_amp, model_key,
                                    train_size)

GAN_DEMO = 'configs/cyclegan/cyclegan_demo.py'


def with_crop(path, crop, batch=None):
    cfg = Config.fromfile(path)
    for step in cfg.train_dataloader.dataset.pipeline:
        if 'crop_size' in step:
            step['crop_size'] = crop
    if batch is not None:
        cfg.train_dataloader.batch_size = batch
    return cfg


def test_train_size_reads_the_configs_batch_and_crop():
    assert train_size(Config.fromfile(GAN_DEMO)) == (1, 64)
    assert train_size(Config.fromfile(
        'configs/uniremoval/kt_mprnet_demo.py')) == (6, 72)
    assert train_size(with_crop(GAN_DEMO, (48, 48), batch=2)) == (2, 48)
    # Whole images: no crop to read.
    assert train_size(Config.fromfile(
        'configs/fdrnet/dncnn_div2k_hybrid.py')) is None


def test_a_gan_below_its_measured_crossover_trains_in_float32():
    """1×32² CycleGAN measured 0.93× in bfloat16: --amp stays float32 and
    says why; from 48² it trains in bfloat16 + channels_last."""
    small = choose_amp(with_crop(GAN_DEMO, 32), native_bf16=True,
                       on_gpu=False)
    assert not small.enabled and small.dtype is None
    assert not small.channels_last
    assert 'float32' in small.reason and '1×32²' in small.reason
    assert '--amp-dtype bfloat16' in small.reason
    large = choose_amp(with_crop(GAN_DEMO, 64), native_bf16=True,
                       on_gpu=False)
    assert large.enabled and large.dtype == 'bfloat16'
    assert large.channels_last
    threshold = CPU_BF16_MIN_PIXELS['CycleGAN/ResnetGenerator']
    assert threshold.source in large.reason


def test_amp_dtype_forces_bfloat16_where_it_was_measured_slower():
    forced = choose_amp(with_crop(GAN_DEMO, 32), 'bfloat16',
                        native_bf16=True, on_gpu=False)
    assert forced.enabled and forced.dtype == 'bfloat16'
    assert forced.channels_last


def test_no_native_bfloat16_and_gpus_keep_the_wrappers_own_choice():
    """Without native bfloat16 the wrapper trains in float32 and warns
    (tests/engine/test_optim_wrapper.py); on GPUs float16, NCHW."""
    for native, gpu in ((False, False), (True, True)):
        choice = choose_amp(with_crop(GAN_DEMO, 64), native_bf16=native,
                            on_gpu=gpu)
        assert choice.enabled and choice.dtype is None
        assert not choice.channels_last


def test_a_model_without_measurements_says_so():
    cfg = Config.fromfile(GAN_DEMO)
    cfg.model.generator.type = 'MyGenerator'
    choice = choose_amp(cfg, native_bf16=True, on_gpu=False)
    assert choice.enabled and choice.dtype == 'bfloat16'
    assert 'no measurement for CycleGAN/MyGenerator' in choice.reason


def test_every_measured_key_is_a_shipped_configs_model():
    """A key no config has (a typo, a renamed class) would never apply."""
    keys = set()
    for path in glob.glob('configs/*/*.py'):
        cfg = Config.fromfile(path)
        if 'model' in cfg:
            keys.add(model_key(cfg.model))
    assert set(CPU_BF16_MIN_PIXELS) <= keys, set(CPU_BF16_MIN_PIXELS) - keys


@pytest.mark.parametrize('path', [
    'configs/demo/tiny_restorer.py', 'configs/fdrnet/fdrnet_demo.py',
    'configs/uniremoval/teacher_derain_demo.py',
    'configs/uniremoval/kt_mprnet_demo.py',
    'configs/uniremoval/da_mprnet_demo.py', GAN_DEMO,
    'configs/dcdgan/dcdgan_demo.py', 'configs/mprnet/mprnet_derain_rain13k.py',
])
def test_the_demo_and_paper_crops_train_in_bfloat16(path):
    """Measured faster there (docs/benchmarks.md, --amp per config)."""
    choice = choose_amp(Config.fromfile(path), native_bf16=True,
                        on_gpu=False)
    assert choice.enabled and choice.dtype == 'bfloat16', choice.reason


def test_float16_on_a_cpu_is_a_user_error_not_a_traceback():
    from toolbox.user_errors import UserError
    with pytest.raises(UserError, match='float16 needs a GPU'):
        choose_amp(Config.fromfile(GAN_DEMO), 'float16', native_bf16=True,
                   on_gpu=False)
    gpu = choose_amp(Config.fromfile(GAN_DEMO), 'float16', on_gpu=True)
    assert gpu.enabled and gpu.dtype == 'float16'


def test_amp_dtype_without_amp_is_refused(repo_root, tmp_path):
    from tests.helpers import run_tool_in_process
    code, log = run_tool_in_process(repo_root, 'tools/train.py', [
        'configs/demo/tiny_restorer.py', '--amp-dtype', 'bfloat16',
        '--work-dir', tmp_path])
    assert code == 2 and '--amp-dtype sets the dtype of --amp' in log
    assert not any(tmp_path.iterdir())  # nothing started
