"""optimizer_mismatch: a GAN's optimiser dict against a checkpoint's."""
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict

from toolbox.engine.resume_optimizers import optimizer_mismatch


def wrappers(**networks):
    return OptimWrapperDict(**{
        name: OptimWrapper(torch.optim.Adam(net.parameters(), lr=1e-3))
        for name, net in networks.items()})


def test_a_gan_checkpoint_of_other_optimisers_is_described():
    g, d, h = (torch.nn.Linear(2, 2) for _ in range(3))
    two = wrappers(generators=g, discriminators=d)
    three = wrappers(generators=g, discriminators=d, heads=h)
    assert optimizer_mismatch(two, two.state_dict()) is None
    assert optimizer_mismatch(three, two.state_dict()) == (
        "optimisers ['discriminators', 'generators'] in the file, "
        "['discriminators', 'generators', 'heads'] in the config")
    # A group holding other tensors (another network under one name).
    other = wrappers(generators=torch.nn.Conv2d(2, 2, 1, bias=False),
                     discriminators=d)
    assert optimizer_mismatch(other, two.state_dict()) == (
        'generators: parameter group 0 holds 2 tensors in the file, 1 in '
        'the config')


def test_another_optimiser_type_is_described():
    net = torch.nn.Linear(2, 2)
    adam = OptimWrapper(torch.optim.Adam(net.parameters()))
    sgd = OptimWrapper(torch.optim.SGD(net.parameters(), lr=0.1))
    assert optimizer_mismatch(adam, adam.state_dict()) is None
    assert optimizer_mismatch(sgd, adam.state_dict()) == (
        "another optimiser type (SGD in the config; settings only in the "
        "config: ['dampening', 'momentum', 'nesterov']; only in the file: "
        "['amsgrad', 'betas', 'capturable', 'decoupled_weight_decay', "
        "'eps'])")


def test_settings_of_another_pytorch_release_are_not_another_type():
    net = torch.nn.Linear(2, 2)
    adam = OptimWrapper(torch.optim.Adam(net.parameters()))
    older = adam.state_dict()
    # A checkpoint of a PyTorch that did not have this Adam setting yet.
    for group in older['param_groups']:
        group.pop('decoupled_weight_decay', None)
        group.pop('capturable', None)
    assert optimizer_mismatch(adam, older) is None
