"""MPRNet: official layout and sizes, checkpoint loading, any input size,
feature extraction, and equality with the per-patch computation of the
release."""
from pathlib import Path

import pytest
import torch

from toolbox.models.backbones.mprnet import MPRNet
from toolbox.registry import MODELS

KEYS_FILE = Path(__file__).parent / 'data' / \
    'mprnet_deraining_official_keys.txt'
TINY = dict(n_feat=8, scale_unetfeats=4, scale_orsnetfeats=4, num_cab=1)


def tiny(**kwargs):
    torch.manual_seed(0)
    return MPRNet(**dict(TINY, **kwargs)).eval()


def randomise_prelu(model):
    """The shared PReLU starts at 0.25 everywhere; make it distinctive so a
    checkpoint that failed to load it would show."""
    with torch.no_grad():
        model.shallow_feat1[1].body[1].weight.fill_(0.137)


@pytest.mark.parametrize('variant,expected', [
    ('deraining', 3_637_249),
    ('denoising', 15_741_025),
    ('deblurring', 20_127_073),
])
def test_parameter_counts_of_official_variants(variant, expected):
    model = MPRNet(variant=variant)
    assert sum(p.numel() for p in model.parameters()) == expected


def test_explicit_widths_equal_variant():
    a = MPRNet(n_feat=40, scale_unetfeats=20, scale_orsnetfeats=16)
    assert sum(p.numel() for p in a.parameters()) == 3_637_249
    with pytest.raises(KeyError, match='variant'):
        MPRNet(variant='dehazing')


def test_state_dict_matches_official_key_layout():
    expected = {}
    for line in KEYS_FILE.read_text().splitlines():
        if line and not line.startswith('#'):
            name, shape = line.split()
            expected[name] = tuple(int(s) for s in shape.split('x'))
    ours = {k: tuple(v.shape) for k, v in MPRNet().state_dict().items()}
    assert sorted(set(ours) - set(expected)) == []
    assert sorted(set(expected) - set(ours)) == []
    assert ours == expected


def test_prelu_is_shared_by_every_cab():
    model = tiny()
    prelus = {id(m) for m in model.modules()
              if isinstance(m, torch.nn.PReLU)}
    assert len(prelus) == 1


def official_style_forward(model, x):
    """The release's computation, one patch at a time (stage 1 on four
    quarters, stage 2 on two halves), written from its description and
    using the model's own sub-networks."""
    h, w = x.shape[-2:]
    top, bot = x[..., :h // 2, :], x[..., h // 2:, :]
    quarters = [top[..., :w // 2], top[..., w // 2:],
                bot[..., :w // 2], bot[..., w // 2:]]
    enc1 = [model.stage1_encoder(model.shallow_feat1(q)) for q in quarters]
    enc1_top = [torch.cat(p, 3) for p in zip(enc1[0], enc1[1])]
    enc1_bot = [torch.cat(p, 3) for p in zip(enc1[2], enc1[3])]
    dec1_top = model.stage1_decoder(enc1_top)
    dec1_bot = model.stage1_decoder(enc1_bot)
    sam_top, img1_top = model.sam12(dec1_top[0], top)
    sam_bot, img1_bot = model.sam12(dec1_bot[0], bot)
    x2_top = model.concat12(torch.cat([model.shallow_feat2(top), sam_top], 1))
    x2_bot = model.concat12(torch.cat([model.shallow_feat2(bot), sam_bot], 1))
    enc2_top = model.stage2_encoder(x2_top, enc1_top, dec1_top)
    enc2_bot = model.stage2_encoder(x2_bot, enc1_bot, dec1_bot)
    enc2 = [torch.cat(p, 2) for p in zip(enc2_top, enc2_bot)]
    dec2 = model.stage2_decoder(enc2)
    sam3, img2 = model.sam23(dec2[0], x)
    x3 = model.concat23(torch.cat([model.shallow_feat3(x), sam3], 1))
    x3 = model.stage3_orsnet(x3, enc2, dec2)
    return [model.tail(x3) + x, img2, torch.cat([img1_top, img1_bot], 2)]


@torch.no_grad()
def test_batched_patches_equal_per_patch_computation():
    model = tiny()
    randomise_prelu(model)
    x = torch.rand(2, 3, 32, 48)
    ours = model(x)
    reference = official_style_forward(model, x)
    assert len(ours) == 3
    for a, b in zip(ours, reference):
        assert a.shape == b.shape == x.shape
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    # The stages differ (a mix-up of the output order would show).
    assert not torch.allclose(ours[0], ours[2])


@pytest.mark.parametrize('size', [(37, 53), (8, 8), (5, 3)])
@torch.no_grad()
def test_any_input_size(size):
    model = tiny()
    x = torch.rand(1, 3, *size)
    outputs = model(x)
    assert [tuple(o.shape) for o in outputs] == [(1, 3, *size)] * 3
    assert all(torch.isfinite(o).all() for o in outputs)


@torch.no_grad()
def test_odd_size_equals_cropped_output_of_reflect_padded_input():
    model = tiny()
    x = torch.rand(1, 3, 37, 53)
    padded = torch.nn.functional.pad(x, (0, 3, 0, 3), mode='reflect')
    expected = model(padded)[0][..., :37, :53]
    torch.testing.assert_close(model(x)[0], expected)


@torch.no_grad()
def test_features_leave_outputs_unchanged():
    model = tiny()
    x = torch.rand(2, 3, 24, 40)
    plain = model(x)
    outputs, features = model(x, return_features=True)
    for a, b in zip(plain, outputs):
        assert torch.equal(a, b)
    n, s, o = TINY['n_feat'], TINY['scale_unetfeats'], \
        TINY['scale_orsnetfeats']
    assert features['dec2_0'].shape == (2, n, 24, 40)
    assert features['dec2_1'].shape == (2, n + s, 12, 20)
    assert features['dec2_2'].shape == (2, n + 2 * s, 6, 10)
    assert features['orsnet'].shape == (2, n + o, 24, 40)
    assert features['enc2_0'].shape == (2, n, 24, 40)
    # 'orsnet' is the feature the tail turns into the final residual.
    final = model.tail(features['orsnet']) + x
    torch.testing.assert_close(final, outputs[0])


def test_pad_to_must_be_multiple_of_8():
    with pytest.raises(ValueError, match='pad_to'):
        MPRNet(pad_to=4, **TINY)


def official_format_file(model, path, module_prefix=True):
    """Write ``model``'s weights as an official release does."""
    prefix = 'module.' if module_prefix else ''
    state = {prefix + k: v.clone() for k, v in model.state_dict().items()}
    torch.save({'epoch': 250, 'state_dict': state}, path)
    return str(path)


@pytest.mark.parametrize('module_prefix', [True, False])
@torch.no_grad()
def test_official_checkpoint_loads_through_init_cfg(tmp_path, module_prefix):
    source = tiny()
    randomise_prelu(source)
    path = official_format_file(source, tmp_path / 'model_deraining.pth',
                                module_prefix)
    torch.manual_seed(1)  # different random weights before loading
    loaded = MODELS.build(dict(
        type='MPRNet', **TINY,
        init_cfg=dict(type='Pretrained', checkpoint=path))).eval()
    x = torch.rand(1, 3, 16, 24)
    assert not torch.allclose(loaded(x)[0], source(x)[0])
    loaded.init_weights()
    for a, b in zip(loaded(x), source(x)):
        assert torch.equal(a, b)


def test_missing_pretrained_checkpoint_names_the_file(tmp_path):
    path = str(tmp_path / 'model_deraining.pth')
    model = MPRNet(**TINY, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(FileNotFoundError, match='model_deraining.pth'):
        model.init_weights()


def test_checkpoint_of_another_width_is_refused(tmp_path):
    path = official_format_file(tiny(), tmp_path / 'other.pth')
    model = MPRNet(n_feat=8, scale_unetfeats=4, scale_orsnetfeats=8,
                   num_cab=1, init_cfg=dict(type='Pretrained',
                                            checkpoint=path))
    with pytest.raises(RuntimeError, match='size mismatch|do not match'):
        model.init_weights()


@torch.no_grad()
def test_official_checkpoint_loads_into_restorer_via_load_from(tmp_path):
    from mmengine.runner import load_checkpoint
    source = tiny()
    randomise_prelu(source)
    path = official_format_file(source, tmp_path / 'official.pth')
    restorer = MODELS.build(dict(
        type='Restorer', generator=dict(type='MPRNet', **TINY),
        losses=[dict(type='CharbonnierLoss')],
        data_preprocessor=dict(type='RestorationDataPreprocessor',
                               value_range='[0,1]', pad_size_divisor=8)))
    # What the Runner does with load_from (its revise_keys strip module.).
    load_checkpoint(restorer, path, strict=True, logger='silent',
                    revise_keys=[(r'^module\.', '')])
    x = torch.rand(1, 3, 16, 24)
    torch.testing.assert_close(restorer.eval()(x, mode='tensor')[0],
                               source(x)[0], rtol=0, atol=0)


def test_mprnet_configs_are_the_released_models():
    """configs/mprnet/ holds MPRNet's own recipes, at the official widths."""
    from mmengine.config import Config
    root = Path(__file__).parents[3] / 'configs' / 'mprnet'
    expected = {
        'mprnet_derain_rain13k.py': ('deraining', ['CharbonnierLoss',
                                                   'EdgeLoss'], 250),
        'mprnet_deblur_gopro.py': ('deblurring', ['CharbonnierLoss',
                                                  'EdgeLoss'], 3000),
        'mprnet_denoise_sidd.py': ('denoising', ['CharbonnierLoss'], 80),
    }
    assert sorted(p.name for p in root.glob('*.py')) == sorted(expected)
    for name, (variant, losses, epochs) in expected.items():
        cfg = Config.fromfile(str(root / name))
        assert cfg.model.generator == dict(type='MPRNet', variant=variant)
        assert [loss.type for loss in cfg.model.losses] == losses, name
        assert cfg.model.stage_loss == 'sum'
        if 'EdgeLoss' in losses:
            assert cfg.model.losses[1].loss_weight == 0.05, name
        assert cfg.model.data_preprocessor.value_range == '[0,1]'
        assert cfg.train_cfg.max_epochs == epochs, name
        assert cfg.optim_wrapper.optimizer.lr == 2e-4
        assert cfg.train_dataloader.batch_size == 16
