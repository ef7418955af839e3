import pytest
import torch

from toolbox.models.data_preprocessor import (RestorationDataPreprocessor,
                                              convert_range)
from toolbox.structures import RestorationSample


def samples(n):
    return [RestorationSample(metainfo=dict(img_path=f'{i}.png'))
            for i in range(n)]


@pytest.mark.parametrize('value_range,low,high', [('[0,1]', 0.0, 1.0),
                                                  ('[-1,1]', -1.0, 1.0)])
def test_normalisation_round_trip(value_range, low, high):
    pre = RestorationDataPreprocessor(value_range=value_range)
    pixels = torch.tensor([0.0, 127.5, 255.0])
    net = pre.normalize(pixels)
    assert net[0].item() == pytest.approx(low)
    assert net[2].item() == pytest.approx(high)
    assert torch.allclose(pre.denormalize(net), pixels)


def test_convert_range_between_networks():
    x = torch.tensor([-1.0, 0.0, 1.0])
    assert torch.allclose(convert_range(x, '[-1,1]', '[0,1]'),
                          torch.tensor([0.0, 0.5, 1.0]))


def test_bad_range_is_named():
    with pytest.raises(ValueError, match='value_range'):
        RestorationDataPreprocessor(value_range='0-255')


def test_padding_to_divisor_and_crop_back():
    pre = RestorationDataPreprocessor(pad_size_divisor=8)
    a, b = torch.rand(3, 13, 17) * 255, torch.rand(3, 16, 9) * 255
    data = pre(dict(inputs=[a, b], data_samples=samples(2)), training=False)
    batch = data['inputs']
    assert batch.shape == (2, 3, 16, 24)
    # reflect padding keeps the image content in the top-left corner
    assert torch.allclose(batch[0, :, :13, :17] * 255, a, atol=1e-4)
    crops = pre.crop_padding(pre.denormalize(batch), data['data_samples'])
    assert crops[0].shape == a.shape and crops[1].shape == b.shape
    assert torch.allclose(crops[1], b, atol=1e-3)


def test_training_refuses_mixed_sizes():
    pre = RestorationDataPreprocessor()
    with pytest.raises(ValueError, match='one size'):
        pre(dict(inputs=[torch.zeros(3, 8, 8), torch.zeros(3, 8, 9)],
                 data_samples=samples(2)), training=True)


def test_stack_gt_requires_targets():
    pre = RestorationDataPreprocessor(value_range='[-1,1]')
    with_gt = samples(2)
    for s in with_gt:
        s.gt_img = torch.full((3, 4, 4), 255.0)
    assert torch.all(pre.stack_gt(with_gt) == 1.0)
    with pytest.raises(KeyError, match='0.png'):
        pre.stack_gt(samples(1))


def test_channels_last_inputs():
    gen = torch.Generator().manual_seed(0)
    inputs = [torch.randint(0, 256, (3, 6, 10), generator=gen).float()
              for _ in range(2)]
    pre = RestorationDataPreprocessor(channels_last=True)
    out = pre(dict(inputs=[x.clone() for x in inputs]), training=True)
    assert out['inputs'].is_contiguous(memory_format=torch.channels_last)
    # Only the memory layout changes: same values, same positions.
    plain = RestorationDataPreprocessor()(
        dict(inputs=[x.clone() for x in inputs]), training=True)
    assert not plain['inputs'].is_contiguous(
        memory_format=torch.channels_last)
    assert torch.equal(out['inputs'], plain['inputs'])
    assert torch.allclose(out['inputs'], torch.stack(inputs) / 255)
