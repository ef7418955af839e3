"""DCD-GAN: the contrastive branches, the heads, the optimisers, options."""
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

import toolbox.models  # noqa: F401
from toolbox.engine.optim_constructor import MultiOptimWrapperConstructor
from toolbox.models.algorithms.dcdgan import DCDGAN
from toolbox.models.losses import PatchNCELoss
from toolbox.registry import MODELS
from toolbox.structures import RestorationSample

SMALL_G = dict(type='ResnetGenerator', base_channels=4, num_blocks=5,
               antialias=True, init_type='xavier')
SMALL_D = dict(type='PatchGANDiscriminator', base_channels=4, num_layers=2,
               antialias=True, init_type='xavier')
SMALL_HEAD = dict(type='PatchSampleMLP', num_patches=16, mlp_channels=8)
LAYERS = (4, 8, 12, 16)


def small_dcdgan(**kwargs):
    torch.manual_seed(0)
    kwargs.setdefault('head', SMALL_HEAD)
    model = DCDGAN(generator=SMALL_G, discriminator=SMALL_D, **kwargs)
    model.init_weights()
    return model


def small_from_config(path, **model_options):
    """The model and optimisers of a config, with tiny networks."""
    cfg = Config.fromfile(path)
    cfg.model.generator.update(base_channels=4)
    cfg.model.discriminator.update(base_channels=4)
    cfg.model.head.update(num_patches=16, mlp_channels=8)
    cfg.model.update(model_options)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    wrappers = dict(cfg.optim_wrapper)
    wrappers.pop('constructor')
    return model, MultiOptimWrapperConstructor(wrappers)(model), cfg


def batch(size=16, n=1):
    return dict(real_a=torch.rand(n, 3, size, size) * 2 - 1,
                real_b=torch.rand(n, 3, size, size) * 2 - 1)


def unpaired_data(size=16):
    sample = RestorationSample()
    sample.ref_img = torch.rand(3, size, size) * 255
    return dict(inputs=[torch.rand(3, size, size) * 255],
                data_samples=[sample])


def encode(net, x):
    return net(x, layers=LAYERS, encode_only=True)


def test_heads_exist_from_construction(tmp_path):
    model, optim, cfg = small_from_config('configs/dcdgan/dcdgan_rain800.py')
    children = dict(model.named_children())
    assert children['head_a2b'] is not children['head_b2a']
    for name in ('a2b', 'b2a'):
        head = children[f'head_{name}']
        generator = children[f'generator_{name}']
        assert head.in_channels == generator.feature_channels(LAYERS) == \
            [8, 16, 16, 16]
    # Before any iteration: in the optimiser the config builds (its own
    # Adam, lr 1e-3) and in a checkpoint of the model.
    heads = {id(p) for n in ('head_a2b', 'head_b2a')
             for p in children[n].parameters()}
    in_optim = {id(p) for g in optim['heads'].optimizer.param_groups
                for p in g['params']}
    assert heads == in_optim and len(heads) == 2 * 4 * 4
    assert optim['heads'].optimizer.defaults['lr'] == 1e-3
    assert optim['generators'].optimizer.defaults['lr'] == 1e-4
    torch.save(model.state_dict(), tmp_path / 'model.pth')
    keys = torch.load(tmp_path / 'model.pth').keys()
    assert 'head_a2b.mlps.3.2.weight' in keys
    assert 'head_b2a.mlps.0.0.weight' in keys
    with pytest.raises(ValueError, match='in_channels'):
        small_dcdgan(head=dict(SMALL_HEAD, in_channels=[1, 2, 3, 4]))


@pytest.mark.parametrize('source', ['other_key', 'other_query'])
def test_each_cgb_contrasts_across_the_two_generators(source):
    model = small_dcdgan(external_source=source)
    out = model.generate(batch())
    torch.manual_seed(1)
    losses = model.contrastive_losses(out)
    # The same draws, by hand: keys of G_A(a) through F1 (head_a2b),
    # queries of G_B(G_A(a)) through F2 at the key's positions, and the
    # mirror image for the backward cycle.
    torch.manual_seed(1)
    ga, gb = model.generator_a2b, model.generator_b2a
    key_a, ids_a = model.head_a2b(encode(ga, out['real_a']))
    query_a, _ = model.head_b2a(encode(gb, out['fake_b']), patch_ids=ids_a)
    key_b, ids_b = model.head_b2a(encode(gb, out['real_b']))
    query_b, _ = model.head_a2b(encode(ga, out['fake_a']), patch_ids=ids_b)
    nce = PatchNCELoss(loss_weight=1.0, negatives='both')
    external_a, external_b = (key_b, key_a) if source == 'other_key' else \
        (query_b, query_a)
    assert torch.allclose(
        losses['loss_nce_a2b'],
        nce(query_a, key_a, batch_size=1, external_negatives=external_a))
    assert torch.allclose(
        losses['loss_nce_b2a'],
        nce(query_b, key_b, batch_size=1, external_negatives=external_b))
    # Only the query side learns from a CGB: F2 and G_B (and G_A through
    # G_A(a)) from the forward one, never the key's head F1.
    model.zero_grad()
    losses['loss_nce_a2b'].backward(retain_graph=True)
    assert all(p.grad is None for p in model.head_a2b.parameters())
    for net in (model.head_b2a, model.generator_b2a, model.generator_a2b):
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in net.parameters())


def test_internal_and_released_negatives_take_no_external_codes():
    for negatives, external in (('both', True), ('external', True),
                                ('internal', False), ('released', False)):
        model = small_dcdgan(contrastive_loss=dict(
            type='PatchNCELoss', negatives=negatives))
        seen = []
        loss = model.contrastive_loss
        original = loss.forward
        loss.forward = lambda q, k, **kw: (  # noqa: E731
            seen.append(kw['external_negatives']) or original(q, k, **kw))
        model.contrastive_losses(model.generate(batch()))
        assert len(seen) == 2
        assert all((codes is not None) == external for codes in seen)


def test_paper_objective_on_the_cycle_reconstructions():
    model = small_dcdgan()
    b = batch()
    out = model.generate(b)
    losses = model.generator_losses(b, out)
    a, rec_a, y, rec_b = b['real_a'], out['rec_a'], b['real_b'], out['rec_b']
    ga = model.generator_a2b
    assert torch.allclose(rec_a, model.generator_b2a(ga(a)))
    assert torch.allclose(rec_b, ga(model.generator_b2a(y)))

    def color(x, t):  # Eq. (3): Σ over R, G, B of the channel's L1
        return sum((x[:, c] - t[:, c]).abs().mean() for c in range(3))

    def freq(x, t):  # Eq. (5): L1 of the one-sided spectra
        return (torch.view_as_real(torch.fft.rfft2(x)) -
                torch.view_as_real(torch.fft.rfft2(t))).abs().mean()

    assert torch.allclose(losses['loss_color_cycle'],
                          color(rec_a, a) + color(rec_b, y))
    assert torch.allclose(losses['loss_frequency'],
                          0.1 * (freq(rec_a, a) + freq(rec_b, y)))
    # Hinge, the released generator form, averaged over the directions.
    assert torch.allclose(
        losses['loss_gan_a2b'],
        0.5 * torch.relu(1 - model.discriminator_b(out['fake_b'])).mean())
    assert set(losses) == {'loss_gan_a2b', 'loss_gan_b2a',
                           'loss_color_cycle', 'loss_frequency',
                           'loss_nce_a2b', 'loss_nce_b2a'}


def test_released_config_and_its_unused_terms():
    path = 'configs/dcdgan/dcdgan_released_rain800.py'
    model, _, cfg = small_from_config(path)
    b = batch(32)  # the configs' 3-layer PatchGAN needs 32² at least
    out = model.generate(b)
    losses = model.generator_losses(b, out)
    assert set(losses) == {'loss_gan_a2b', 'loss_gan_b2a', 'loss_identity',
                           'loss_nce_a2b', 'loss_nce_b2a'}
    assert not model.uses_external_negatives
    a, y = b['real_a'], b['real_b']
    ga, gb = model.generator_a2b, model.generator_b2a
    l1 = lambda x, t: (x - t).abs().mean()  # noqa: E731
    assert torch.allclose(losses['loss_identity'],
                          0.5 * (l1(ga(y), y) + l1(gb(a), a)))
    # The terms the release computes but never adds, routed on the
    # unpaired pairs by the config's list.
    model, _, _ = small_from_config(
        path, losses=list(cfg.model.losses) + list(cfg.released_unused_terms))
    out = model.generate(b)
    losses = model.losses(out)
    fake_b, fake_a = out['fake_b'], out['fake_a']

    def spectrum(x):
        return torch.view_as_real(torch.fft.rfft2(x))

    def sq_l2(x, t):  # torch.rfft(·, 2, onesided=True), squared, per image
        return (spectrum(x) - spectrum(t)).pow(2).sum(dim=(1, 2, 3, 4)).mean()

    assert torch.allclose(losses['loss_released_frequency'],
                          sq_l2(fake_b, y) + sq_l2(fake_a, a), rtol=1e-4)
    released_color = sum(
        sum(l1(x[:, c], t[:, c]) for c in range(3)) + l1(x, t)
        for x, t in ((fake_b, y), (fake_a, a)))
    assert torch.allclose(losses['loss_released_color'], released_color)


def test_without_backward_cycle_the_clean_images_only_feed_d_a():
    MessageHub.get_instance('test_dcdgan_backward_cycle')
    model, optim, _ = small_from_config(
        'configs/dcdgan/dcdgan_rain800_wo_backward_cycle.py')
    out = model.generate(batch(32))
    assert not {'fake_a', 'rec_b'} & set(out)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    logs = model.train_step(unpaired_data(32), optim)
    assert {'loss_gan_a2b', 'loss_disc_b', 'loss_nce_a2b',
            'loss_color_cycle', 'loss_frequency'} <= set(logs)
    assert not {'loss_gan_b2a', 'loss_disc_a', 'loss_nce_b2a'} & set(logs)
    for key, value in model.state_dict().items():
        if key.startswith('discriminator_a.'):
            assert torch.equal(before[key], value), key


def test_each_optimiser_updates_only_its_own_modules():
    MessageHub.get_instance('test_dcdgan_optimisers')
    model, optim, _ = small_from_config('configs/dcdgan/dcdgan_rain800.py')
    owners = dict(generators=('generator_a2b', 'generator_b2a'),
                  discriminators=('discriminator_a', 'discriminator_b'),
                  heads=('head_a2b', 'head_b2a'))
    changed = {}

    def snapshot():
        return {n: p.detach().clone() for n, p in model.named_parameters()}

    for name, wrapper in optim.items():
        step = wrapper.optimizer.step

        def recorded(*args, _step=step, _name=name, **kwargs):
            before = snapshot()
            result = _step(*args, **kwargs)
            changed[_name] = {
                n.split('.')[0] for n, p in model.named_parameters()
                if not torch.equal(before[n], p)}
            return result

        wrapper.optimizer.step = recorded
    model.train_step(unpaired_data(32), optim)
    assert set(changed) == set(owners)
    for name, modules in owners.items():
        assert changed[name] == set(modules), name


def test_predict_and_infer_run_the_deraining_generator():
    model = small_dcdgan()
    assert model.inference_network() is model.generator_a2b
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    expected = (model.generator_a2b(x)[0] + 1) * 127.5
    assert torch.allclose(model.predict(x)[0].pred_img, expected, atol=1e-4)
