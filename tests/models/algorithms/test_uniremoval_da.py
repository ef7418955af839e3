"""Uni-Removal's domain-adaptation stage: what each step trains, the
identity loss, and the student's start from the KT checkpoint."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict

import toolbox.models  # noqa: F401
from toolbox.models.algorithms.uniremoval import UniRemovalKT
from toolbox.models.algorithms.uniremoval_da import UniRemovalDA
from toolbox.structures import RestorationSample

NET = dict(type='MPRNet', variant=None, n_feat=8, scale_unetfeats=4,
           scale_orsnetfeats=4, num_cab=1)
DISC = dict(type='PatchGANDiscriminator', base_channels=4, num_layers=2)
FEATURES = ('dec2_0', 'orsnet')


def small_da(**kwargs):
    torch.manual_seed(0)
    cfg = dict(generator=NET, discriminator=DISC, feature_keys=FEATURES,
               feature_loss=dict(type='ExtendedFeatureContrastiveLoss',
                                 loss_weight=0.5, temperature=1.0),
               image_loss=dict(type='ExtendedImageContrastiveLoss',
                               loss_weight=0.1, temperature=1.0,
                               embedding=None, layer_weights=None))
    cfg.update(kwargs)
    return UniRemovalDA(**cfg)


def real_data(labels=('haze', 'rain', 'blur'), size=16):
    samples = []
    for label in labels:
        s = RestorationSample(metainfo=dict(degradation=label))
        s.ref_img = torch.rand(3, size, size) * 255
        samples.append(s)
    return dict(inputs=[torch.rand(3, size, size) * 255 for _ in labels],
                data_samples=samples)


def wrappers(model, lr_g, lr_d):
    return OptimWrapperDict(
        generators=OptimWrapper(torch.optim.Adam(
            model.generator.parameters(), lr=lr_g)),
        discriminators=OptimWrapper(torch.optim.Adam(
            model.discriminator.parameters(), lr=lr_d)))


def snapshot(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module):
    return any(not torch.equal(b, p)
               for b, p in zip(before, module.parameters()))


@pytest.fixture(autouse=True)
def fresh_message_hub():
    MessageHub.get_instance(f'test_uniremoval_da_{id(object())}')


def test_each_step_updates_only_its_own_network():
    model = small_da()
    g, d = snapshot(model.generator), snapshot(model.discriminator)
    logs = model.train_step(real_data(), wrappers(model, 1e-3, 0.0))
    assert changed(g, model.generator) and not changed(d,
                                                       model.discriminator)
    assert {'loss_gan', 'loss_identity', 'loss_efcl', 'loss_eicl',
            'loss_disc'} <= set(logs)
    model = small_da()
    g, d = snapshot(model.generator), snapshot(model.discriminator)
    model.train_step(real_data(), wrappers(model, 0.0, 1e-3))
    assert not changed(g, model.generator) and changed(d,
                                                       model.discriminator)


def test_identity_loss_is_zero_for_an_identity_student():
    # MPRNet adds its tail's output to the input: a zero tail is the
    # identity, so S(y) = y exactly.
    model = small_da(generator=dict(
        NET, init_cfg=dict(type='Constant', val=0,
                           override=dict(name='tail'))))
    model.init_weights()
    data = model.data_preprocessor(real_data(), True)
    batch = model.prepare_batch(data['inputs'], data['data_samples'])
    outputs = model.generate(batch)
    assert torch.equal(outputs['restored_clear'], batch['real_clear'])
    assert model.generator_losses(batch, outputs)['loss_identity'] == 0
    # ... and not zero for a student that changes its input.
    model = small_da()
    outputs = model.generate(batch)
    assert model.generator_losses(batch, outputs)['loss_identity'] > 0


def test_ablations_switch_losses_off():
    model = small_da(feature_loss=None, image_loss=None)
    data = model.data_preprocessor(real_data(), True)
    batch = model.prepare_batch(data['inputs'], data['data_samples'])
    losses = model.generator_losses(batch, model.generate(batch))
    assert set(losses) == {'loss_gan', 'loss_identity'}
    assert batch['labels'] is None  # no labels needed without EFCL


def test_student_starts_bit_for_bit_from_the_kt_checkpoint(tmp_path):
    torch.manual_seed(5)
    kt = UniRemovalKT(student=NET, teachers=dict(
        haze=dict(model=NET, checkpoint=None)), allow_random_teachers=True,
        feature_loss=None, image_loss=None,
        losses=[dict(type='L1Loss', loss_weight=1.0)])
    path = tmp_path / 'kt' / 'iter_2.pth'
    path.parent.mkdir()
    torch.save({'state_dict': kt.state_dict(), 'meta': {}}, path)
    (tmp_path / 'kt' / 'last_checkpoint').write_text(str(path))
    da = small_da(student_checkpoint=str(tmp_path / 'kt'))
    before = snapshot(da.generator)
    da.init_weights()
    assert changed(before, da.generator)
    for key, value in kt.generator.state_dict().items():
        assert torch.equal(da.generator.state_dict()[key], value), key
