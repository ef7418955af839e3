"""Tiles of instance-norm generators normalised with the image's statistics
(toolbox/models/utils/instance_norm_stats.py, RestorationModel.restore)."""
import numpy as np
import pytest
import torch
from skimage import data
from torch import nn

from toolbox.models.utils.instance_norm_stats import (InstanceNormStatistics,
                                                      self_normalising_layers,
                                                      statistics_input)
from toolbox.models.utils.tiling import pad_to_multiple
from toolbox.models.algorithms.restorer import Restorer


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR (dB) of two [-1, 1] images on the 8-bit scale."""
    mse = (((a - b) * 127.5)**2).mean().item()
    return 10 * np.log10(255**2 / mse)


def _photo(height: int, width: int) -> torch.Tensor:
    """A crop of skimage's astronaut photo (odd sides), in [-1, 1]."""
    rgb = data.astronaut()[100:100 + height, 150:150 + width]
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None] / 127.5 - 1


def _generator_model(**generator) -> Restorer:
    torch.manual_seed(0)
    model = Restorer(
        generator=dict(type='ResnetGenerator', base_channels=8,
                       num_blocks=2, **generator),
        data_preprocessor=dict(type='RestorationDataPreprocessor',
                               value_range='[-1,1]', pad_size_divisor=4))
    model.generator.init_weights()  # CycleGAN's normal(0, 0.02)
    return model.eval()


@pytest.mark.parametrize('generator', [
    dict(), dict(antialias=True), dict(global_residual=True)],
    ids=['cyclegan', 'antialias', 'global_residual'])
def test_tiles_of_a_resnet_generator_use_the_image_statistics(generator):
    model = _generator_model(**generator)
    if generator.get('global_residual'):
        # Its last conv starts at zero (the identity): make it do something.
        nn.init.normal_(model.generator.model[-2].weight, 0, 0.02)
    # Padded to the divisor, as the data preprocessor gives it to restore.
    x = pad_to_multiple(_photo(131, 157), 4)
    with torch.no_grad():
        untiled = model.restore(x)
        model.test_cfg = dict(tile=96, tile_overlap=32)
        shared = model.restore(x)
        model.test_cfg['tile_norm_stats'] = 'window'
        own = model.restore(x)
    # Each window normalising by its own statistics was 18-20 dB off with
    # the demo CycleGAN; with the image's it is the untiled output up to
    # the context windows miss at their borders.
    assert _psnr(shared, untiled) >= 40
    assert _psnr(own, untiled) < 30


def test_imposed_statistics_of_the_same_input_give_the_layer_output():
    torch.manual_seed(0)
    for affine in (False, True):
        layer = nn.InstanceNorm2d(5, affine=affine).eval()
        if affine:
            nn.init.normal_(layer.weight)
            nn.init.normal_(layer.bias)
        x = torch.randn(2, 5, 9, 7) * 3 + 1
        stats = InstanceNormStatistics([layer])
        stats.record(layer, x)
        with stats.imposed():
            imposed = layer(x)
        torch.testing.assert_close(imposed, layer(x), atol=1e-5, rtol=1e-5)
        # Other inputs are normalised with the recorded values, not theirs.
        with stats.imposed():
            shifted = layer(x + 2)
        assert not torch.allclose(shifted, layer(x + 2), atol=1e-2)
    # Hooks are gone afterwards.
    assert not layer._forward_hooks


def test_layers_with_running_statistics_are_left_alone():
    net = nn.Sequential(nn.InstanceNorm2d(3),
                        nn.InstanceNorm2d(3, track_running_stats=True))
    assert self_normalising_layers(net.eval()) == [net[0]]
    assert self_normalising_layers(net.train()) == [net[0], net[1]]


def test_a_large_image_is_recorded_downscaled_within_the_budget():
    image = torch.rand(1, 3, 301, 199)
    small = statistics_input(image, pad_multiple=4, max_pixels=100 * 80)
    assert small.shape[-2] * small.shape[-1] <= 100 * 80
    assert small.shape[-2] % 4 == 0 and small.shape[-1] % 4 == 0
    # Within the budget: the image as the whole-image pass pads it.
    whole = statistics_input(image, pad_multiple=4, max_pixels=10**6)
    assert tuple(whole.shape[-2:]) == (304, 200)
    torch.testing.assert_close(whole[..., :301, :199], image)


def test_a_downscaled_record_pass_still_tiles_every_image_of_a_batch():
    model = _generator_model()
    model.test_cfg = dict(tile=48, tile_overlap=16,
                          tile_stats_max_pixels=40 * 40)
    x = torch.rand(2, 3, 96, 72) * 2 - 1
    with torch.no_grad():
        out = model.restore(x)
        first = model.restore(x[:1])
    assert out.shape == x.shape and torch.isfinite(out).all()
    # Each image is recorded on its own: the batch changes nothing.
    torch.testing.assert_close(out[:1], first)


def test_an_unknown_tile_norm_stats_is_refused():
    model = _generator_model()
    model.test_cfg = dict(tile=48, tile_norm_stats='tile')
    with pytest.raises(ValueError, match='tile_norm_stats'):
        model.restore(torch.zeros(1, 3, 64, 64))


def test_restore_image_passes_the_choice_on():
    from toolbox.apis import restore_image
    model = _generator_model()
    photo = ((_photo(101, 131)[0].permute(1, 2, 0) + 1) * 127.5).round()
    image = photo.byte().numpy()
    untiled = restore_image(model, image).astype(float)
    shared = restore_image(model, image, tile=64).astype(float)
    own = restore_image(model, image, tile=64, tile_norm_stats='window')
    assert np.abs(shared - untiled).mean() < np.abs(own - untiled).mean() / 4
    assert model.test_cfg == {}  # set for the call only
