"""CycleGAN: its losses against the formulas, directions, official files."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict

import toolbox.models  # noqa: F401
from toolbox.models.algorithms.cyclegan import CycleGAN
from toolbox.structures import RestorationSample

SMALL_G = dict(type='ResnetGenerator', base_channels=4, num_blocks=1)
SMALL_D = dict(type='PatchGANDiscriminator', base_channels=4, num_layers=2)


def small_cyclegan(**kwargs):
    torch.manual_seed(0)
    model = CycleGAN(generator=SMALL_G, discriminator=SMALL_D, **kwargs)
    model.init_weights()
    return model


def unpaired_data(size=16):
    sample = RestorationSample()
    sample.ref_img = torch.rand(3, size, size) * 255
    return dict(inputs=[torch.rand(3, size, size) * 255],
                data_samples=[sample])


def test_generator_losses_follow_the_official_formulas():
    model = small_cyclegan()
    batch = dict(real_a=torch.rand(1, 3, 16, 16) * 2 - 1,
                 real_b=torch.rand(1, 3, 16, 16) * 2 - 1)
    out = model.generate(batch)
    ga, gb = model.generator_a2b, model.generator_b2a
    l1 = lambda x, y: (x - y).abs().mean()  # noqa: E731
    a, b = batch['real_a'], batch['real_b']
    assert torch.allclose(out['rec_a'], gb(ga(a)))
    assert torch.allclose(out['rec_b'], ga(gb(b)))
    losses = model.generator_losses(batch, out)
    assert torch.allclose(losses['loss_cycle'],
                          10 * (l1(gb(ga(a)), a) + l1(ga(gb(b)), b)))
    assert torch.allclose(losses['loss_identity'],
                          5 * (l1(gb(a), a) + l1(ga(b), b)))
    # LSGAN, generator side: (D_b(G_a2b(a)) - 1)², D_b judging domain B.
    assert torch.allclose(losses['loss_gan_a2b'],
                          (model.discriminator_b(ga(a)) - 1).pow(2).mean())
    disc = model.discriminator_losses(batch, {k: v.detach()
                                              for k, v in out.items()})
    d_b = model.discriminator_b
    expected = 0.5 * ((d_b(b) - 1).pow(2).mean() + d_b(ga(a)).pow(2).mean())
    assert torch.allclose(disc['loss_disc_b'], expected)


def test_identity_images_are_only_made_when_a_loss_uses_them():
    model = small_cyclegan(losses=[
        dict(type='L1Loss', loss_weight=10.0, loss_name='cycle',
             inputs=[('rec_a', 'real_a'), ('rec_b', 'real_b')])])
    batch = dict(real_a=torch.rand(1, 3, 16, 16),
                 real_b=torch.rand(1, 3, 16, 16))
    out = model.generate(batch)
    assert 'idt_a' not in out and 'idt_b' not in out
    assert 'loss_identity' not in model.generator_losses(batch, out)


def test_train_step_updates_all_four_networks():
    MessageHub.get_instance('test_cyclegan_train_step')
    model = small_cyclegan()
    adam = lambda *mods: OptimWrapper(torch.optim.Adam(  # noqa: E731
        [p for m in mods for p in m.parameters()], lr=1e-2))
    optim = OptimWrapperDict(
        generators=adam(model.generator_a2b, model.generator_b2a),
        discriminators=adam(model.discriminator_a, model.discriminator_b))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    logs = model.train_step(unpaired_data(), optim)
    for name in ('generator_a2b', 'generator_b2a', 'discriminator_a',
                 'discriminator_b'):
        assert any(not torch.equal(before[k], v)
                   for k, v in model.state_dict().items()
                   if k.startswith(name)), name
    assert {'loss_gan_a2b', 'loss_gan_b2a', 'loss_cycle', 'loss_identity',
            'loss_disc_a', 'loss_disc_b'} <= set(logs)


def test_direction_picks_the_test_generator():
    model = small_cyclegan(test_cfg=dict(direction='b2a'))
    x = torch.rand(1, 3, 16, 16)
    assert model.inference_network() is model.generator_b2a
    assert torch.allclose(model(x, mode='tensor'), model.generator_b2a(x))
    pred = model.predict(x * 2 - 1)[0].pred_img
    expected = (model.generator_b2a(x * 2 - 1)[0] + 1) * 127.5
    assert torch.allclose(pred, expected, atol=1e-4)
    with pytest.raises(ValueError, match='direction'):
        small_cyclegan(test_cfg=dict(direction='ab'))


def test_to_puts_every_network_in_the_inputs_memory_format():
    """With channels_last inputs (tools/train.py --channels-last) the
    Runner's ``model.to(device)`` also moves every network's weights to
    channels_last, GANs included; without, the layout stays NCHW."""
    def convolution_weights(model):
        return [p for p in model.parameters() if p.dim() == 4]

    plain = small_cyclegan().to('cpu')
    assert all(p.is_contiguous() for p in convolution_weights(plain))
    model = small_cyclegan(data_preprocessor=dict(
        type='RestorationDataPreprocessor', channels_last=True)).to('cpu')
    weights = convolution_weights(model)
    assert len(weights) > 4 and all(
        p.is_contiguous(memory_format=torch.channels_last) and
        not p.is_contiguous() for p in weights)
