"""BaseGAN's training step: phases, wrappers, requires_grad, step counts."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import nn

from toolbox.models.algorithms.base_gan import (BaseGAN,
                                                update_wrappers_together)
from toolbox.structures import RestorationSample


class ToyGAN(BaseGAN):
    """One conv generator, one conv discriminator, a head trained with G."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        torch.manual_seed(0)
        self.generator = nn.Conv2d(3, 3, 3, padding=1)
        self.discriminator = nn.Conv2d(3, 1, 3, padding=1)
        self.head = nn.Linear(3, 3)
        self.seen = []  # (phase, D trainable, G trainable) per call

    def prepare_batch(self, inputs, data_samples):
        return dict(real_a=inputs,
                    real_b=self.data_preprocessor.stack_images(
                        data_samples, 'ref_img'))

    def generate(self, batch):
        return dict(fake_b=self.generator(batch['real_a']))

    def _flags(self, phase):
        self.seen.append((phase,
                          self.discriminator.weight.requires_grad,
                          self.generator.weight.requires_grad))

    def generator_losses(self, batch, outputs):
        self._flags('generator')
        fake = outputs['fake_b']
        pooled = self.head(fake.mean((2, 3)))
        return dict(loss_adv=(self.discriminator(fake) - 1).pow(2).mean(),
                    loss_head=pooled.pow(2).mean())

    def discriminator_losses(self, batch, outputs):
        self._flags('discriminator')
        assert not outputs['fake_b'].requires_grad
        return dict(loss_disc=self.discriminator(
            outputs['fake_b']).pow(2).mean() + (self.discriminator(
                batch['real_b']) - 1).pow(2).mean())


def make_data(n=2, size=8):
    samples = []
    for _ in range(n):
        s = RestorationSample()
        s.ref_img = torch.rand(3, size, size) * 255
        samples.append(s)
    return dict(inputs=[torch.rand(3, size, size) * 255 for _ in range(n)],
                data_samples=samples)


def wrappers(model, lr_g=0.1, lr_d=0.1, heads=False):
    sgd = torch.optim.SGD
    entries = dict(
        generators=OptimWrapper(sgd(model.generator.parameters(), lr=lr_g)),
        discriminators=OptimWrapper(
            sgd(model.discriminator.parameters(), lr=lr_d)))
    if heads:
        entries['heads'] = OptimWrapper(sgd(model.head.parameters(),
                                            lr=lr_g))
    return OptimWrapperDict(**entries)


def snapshot(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module):
    return any(not torch.equal(b, p) for b, p in zip(before,
                                                     module.parameters()))


@pytest.fixture(autouse=True)
def fresh_message_hub():
    # A hub of its own, so an 'iter' left by another test's Runner does not
    # decide whose turn it is.
    MessageHub.get_instance(f'test_base_gan_{id(object())}')


def test_each_wrapper_updates_only_its_networks():
    model = ToyGAN()
    optim = wrappers(model, lr_g=0.1, lr_d=0.0)
    g, d = snapshot(model.generator), snapshot(model.discriminator)
    logs = model.train_step(make_data(), optim)
    assert changed(g, model.generator)
    assert not changed(d, model.discriminator)   # its lr is 0
    assert {'loss_adv', 'loss_disc', 'loss_generator', 'loss_discriminator',
            'loss'} <= set(logs)
    assert torch.allclose(logs['loss'], logs['loss_generator'] +
                          logs['loss_discriminator'])

    model = ToyGAN()
    optim = wrappers(model, lr_g=0.0, lr_d=0.1)
    g, d = snapshot(model.generator), snapshot(model.discriminator)
    model.train_step(make_data(), optim)
    assert not changed(g, model.generator)
    assert changed(d, model.discriminator)


def test_other_networks_get_no_gradient_during_a_phase():
    model = ToyGAN()
    model.train_step(make_data(), wrappers(model))
    assert model.seen == [('generator', False, True),
                          ('discriminator', True, False)]
    # Everything trainable again after the step.
    assert all(p.requires_grad for p in model.parameters())


def test_frozen_parameters_stay_frozen():
    model = ToyGAN()
    model.generator.bias.requires_grad_(False)
    model.train_step(make_data(), wrappers(model))
    assert not model.generator.bias.requires_grad
    assert model.generator.weight.requires_grad


def test_order_option_runs_discriminator_first():
    model = ToyGAN(train_cfg=dict(order=('discriminator', 'generator')))
    model.train_step(make_data(), wrappers(model))
    assert [phase for phase, *_ in model.seen] == ['discriminator',
                                                   'generator']


def test_discriminator_and_generator_steps():
    model = ToyGAN(train_cfg=dict(discriminator_steps=3, generator_steps=2))
    optim = wrappers(model)
    for _ in range(6):
        model.train_step(make_data(), optim)
    phases = [phase for phase, *_ in model.seen]
    # D every iteration; G twice on iterations 3 and 6 (1-based).
    assert phases.count('discriminator') == 6
    assert phases.count('generator') == 4
    assert phases[:5] == ['discriminator', 'discriminator', 'generator',
                          'generator', 'discriminator']


def test_generator_turns_count_gradient_accumulation_as_mmagic():
    """accumulative_counts=2 for both: a discriminator update spans 2
    iterations, so the generator's turn comes every 2nd iteration and runs
    2 passes that accumulate into one generator step."""
    model = ToyGAN(train_cfg=dict(generator_steps=1))
    sgd = torch.optim.SGD
    optim = OptimWrapperDict(
        generators=OptimWrapper(sgd(model.generator.parameters(), lr=0.1),
                                accumulative_counts=2),
        discriminators=OptimWrapper(
            sgd(model.discriminator.parameters(), lr=0.1),
            accumulative_counts=2))
    optim.initialize_count_status(model, 0, 4)  # as the Runner does
    steps = {name: 0 for name in optim.keys()}
    for name, wrapper in optim.items():
        original = wrapper.optimizer.step

        def counted(*args, _name=name, _original=original, **kwargs):
            steps[_name] += 1
            return _original(*args, **kwargs)
        wrapper.optimizer.step = counted
    for _ in range(4):
        model.train_step(make_data(), optim)
    phases = [phase[0] for phase, *_ in model.seen]
    # D every iteration; G's turns on iterations 2 and 4 (1-based), two
    # passes each (G before D: the default order).
    assert phases == list('DGGDDGGD'.lower())
    # One optimiser step per two passes or iterations.
    assert steps == {'generators': 2, 'discriminators': 2}


def test_generator_phase_steps_every_wrapper_it_names():
    model = ToyGAN(train_cfg=dict(generator_wrappers=('generators',
                                                      'heads')))
    optim = wrappers(model, heads=True)
    h = snapshot(model.head)
    model.train_step(make_data(), optim)
    assert changed(h, model.head)
    # Without 'heads' in the phase the head is not stepped.
    model = ToyGAN()
    optim = wrappers(model, heads=True)
    h = snapshot(model.head)
    model.train_step(make_data(), optim)
    assert not changed(h, model.head)


def test_missing_wrapper_and_single_wrapper_are_clear_errors():
    model = ToyGAN(train_cfg=dict(generator_wrappers=('generators', 'heads')))
    with pytest.raises(KeyError, match='heads'):
        model.train_step(make_data(), wrappers(model))
    with pytest.raises(TypeError, match='MultiOptimWrapperConstructor'):
        model.train_step(make_data(), OptimWrapper(
            torch.optim.SGD(model.parameters(), lr=0.1)))
    with pytest.raises(KeyError, match='Unknown train_cfg'):
        ToyGAN(train_cfg=dict(disc_steps=2))


def test_update_together_matches_separate_optimisers():
    """One backward, two optimisers: the same update as one optimiser over
    both modules (SGD), and accumulation counts kept in step."""
    torch.manual_seed(0)
    a, b = nn.Linear(3, 3), nn.Linear(3, 1)
    ref_a, ref_b = nn.Linear(3, 3), nn.Linear(3, 1)
    ref_a.load_state_dict(a.state_dict())
    ref_b.load_state_dict(b.state_dict())
    x = torch.randn(4, 3)
    wa = OptimWrapper(torch.optim.SGD(a.parameters(), lr=0.1),
                      accumulative_counts=2)
    wb = OptimWrapper(torch.optim.SGD(b.parameters(), lr=0.1),
                      accumulative_counts=2)
    for w, m in ((wa, a), (wb, b)):
        w.initialize_count_status(m, 0, 4)
    ref = OptimWrapper(torch.optim.SGD(
        list(ref_a.parameters()) + list(ref_b.parameters()), lr=0.1),
        accumulative_counts=2)
    ref.initialize_count_status(ref_a, 0, 4)
    for _ in range(2):
        update_wrappers_together([wa, wb], b(a(x)).pow(2).mean())
        ref.update_params(ref_b(ref_a(x)).pow(2).mean())
    assert wa._inner_count == wb._inner_count == 2
    for p, q in zip(list(a.parameters()) + list(b.parameters()),
                    list(ref_a.parameters()) + list(ref_b.parameters())):
        assert torch.allclose(p, q, atol=1e-6)
