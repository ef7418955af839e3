"""GANLoss against hand computations, for each type, side and target."""
import math

import pytest
import torch

from toolbox.models.losses.adversarial import GANLoss
from toolbox.registry import LOSSES

PRED = [-2.0, -0.5, 0.0, 0.25, 1.5, 3.0]


def pred():
    return torch.tensor(PRED).view(1, 1, 2, 3)


def mean(values):
    return sum(values) / len(values)


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


def bce(v, label):
    p = sigmoid(v)
    return -(label * math.log(p) + (1 - label) * math.log(1 - p))


@pytest.mark.parametrize('is_disc', [True, False])
def test_lsgan(is_disc):
    loss = GANLoss('lsgan')
    assert loss(pred(), True, is_disc).item() == pytest.approx(
        mean([(v - 1)**2 for v in PRED]))
    assert loss(pred(), False, is_disc).item() == pytest.approx(
        mean([v**2 for v in PRED]))
    smooth = GANLoss('lsgan', real_label=0.9, fake_label=0.1)
    assert smooth(pred(), True, is_disc).item() == pytest.approx(
        mean([(v - 0.9)**2 for v in PRED]))
    assert smooth(pred(), False, is_disc).item() == pytest.approx(
        mean([(v - 0.1)**2 for v in PRED]))


@pytest.mark.parametrize('is_disc', [True, False])
def test_vanilla(is_disc):
    loss = GANLoss('vanilla')
    assert loss(pred(), True, is_disc).item() == pytest.approx(
        mean([bce(v, 1) for v in PRED]), rel=1e-6)
    assert loss(pred(), False, is_disc).item() == pytest.approx(
        mean([bce(v, 0) for v in PRED]), rel=1e-6)
    smooth = GANLoss('vanilla', real_label=0.9)
    assert smooth(pred(), True, is_disc).item() == pytest.approx(
        mean([bce(v, 0.9) for v in PRED]), rel=1e-6)


def test_hinge_discriminator():
    loss = GANLoss('hinge')
    assert loss(pred(), True, is_disc=True).item() == pytest.approx(
        mean([max(0, 1 - v) for v in PRED]))
    assert loss(pred(), False, is_disc=True).item() == pytest.approx(
        mean([max(0, 1 + v) for v in PRED]))


def test_hinge_generator_forms():
    standard = GANLoss('hinge')
    assert standard(pred(), True).item() == pytest.approx(-mean(PRED))
    # DCD-GAN's code: -mean(min(pred - 1, 0)) = mean(relu(1 - pred)).
    dcdgan = GANLoss('hinge', hinge_generator='dcdgan')
    expected = -mean([min(v - 1, 0) for v in PRED])
    assert dcdgan(pred(), True).item() == pytest.approx(expected)
    assert expected != pytest.approx(-mean(PRED))
    # The discriminator side does not depend on the generator form.
    assert dcdgan(pred(), False, is_disc=True).item() == pytest.approx(
        standard(pred(), False, is_disc=True).item())
    with pytest.raises(ValueError, match='target_is_real=True'):
        standard(pred(), False, is_disc=False)


@pytest.mark.parametrize('gan_type', ['lsgan', 'vanilla', 'hinge'])
def test_loss_weight_scales_the_generator_side_only(gan_type):
    plain, weighted = GANLoss(gan_type), GANLoss(gan_type, loss_weight=3.0)
    assert weighted(pred(), True).item() == pytest.approx(
        3.0 * plain(pred(), True).item())
    assert weighted(pred(), True, is_disc=True).item() == pytest.approx(
        plain(pred(), True, is_disc=True).item())
    assert weighted.generator_loss(pred()).item() == pytest.approx(
        3.0 * plain(pred(), True).item())


@pytest.mark.parametrize('gan_type', ['lsgan', 'vanilla', 'hinge'])
def test_discriminator_loss_is_half_the_sum(gan_type):
    loss = GANLoss(gan_type, loss_weight=7.0)
    real, fake = pred(), -pred() * 0.5
    expected = 0.5 * (loss(real, True, is_disc=True).item() +
                      loss(fake, False, is_disc=True).item())
    assert loss.discriminator_loss(real, fake).item() == \
        pytest.approx(expected)


def test_list_of_predictions_is_averaged():
    loss = GANLoss('lsgan')
    a, b = pred(), torch.zeros(2, 1, 4, 4)
    expected = 0.5 * (loss(a, True).item() + loss(b, True).item())
    assert loss([a, b], True).item() == pytest.approx(expected)
    assert loss((a, b), True).item() == pytest.approx(expected)
    with pytest.raises(ValueError, match='empty'):
        loss([], True)


def test_gradients_and_dtype():
    p = pred().half().requires_grad_()
    out = GANLoss('lsgan')(p, True)
    assert out.dtype == torch.float32
    out.backward()
    assert p.grad is not None and p.grad.dtype == torch.float16


def test_registered_and_validated():
    loss = LOSSES.build(dict(type='GANLoss', gan_type='hinge',
                             hinge_generator='dcdgan'))
    assert isinstance(loss, GANLoss) and 'dcdgan' in repr(loss)
    with pytest.raises(ValueError, match='gan_type'):
        GANLoss('wgan')
    with pytest.raises(ValueError, match='hinge_generator'):
        GANLoss('hinge', hinge_generator='relu')
