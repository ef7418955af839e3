import pytest
import torch

from toolbox.models.layers.gdn import (GDN, IGDN, lower_bound, nonnegative,
                                       nonnegative_init)
from toolbox.models.layers.resblock import ResBlock


def _set(layer, weight, bias):
    """Give a GDN the effective ``w`` and ``b`` (through its raw params)."""
    with torch.no_grad():
        layer.raw_weight.copy_(nonnegative_init(weight))
        layer.raw_bias.copy_(nonnegative_init(bias, layer.beta_min))


def _direct(x, weight, bias, inverse):
    """Eq. (4)/(7) written out: D_i = S_i / sqrt(sum_j w_ji S_j^2 + b_i)."""
    n, c, h, w = x.shape
    out = torch.empty_like(x)
    for i in range(c):
        norm = bias[i] + sum(weight[i, j] * x[:, j]**2 for j in range(c))
        out[:, i] = x[:, i] * norm.sqrt() if inverse else \
            x[:, i] / norm.sqrt()
    return out


@pytest.mark.parametrize('inverse', [False, True])
def test_forward_matches_the_formula(inverse):
    torch.manual_seed(0)
    layer = GDN(4, inverse=inverse)
    weight, bias = torch.rand(4, 4), torch.rand(4) + 0.1
    _set(layer, weight, bias)
    assert torch.allclose(layer.weight, weight, atol=1e-6)
    assert torch.allclose(layer.bias, bias, atol=1e-6)
    x = torch.randn(2, 4, 5, 3)
    assert torch.allclose(layer(x), _direct(x, weight, bias, inverse),
                          atol=1e-5)


def test_init_params_and_igdn():
    layer = GDN(32)
    assert sum(p.numel() for p in layer.parameters()) == 32 * 32 + 32
    assert torch.allclose(layer.weight, 0.1 * torch.eye(32), atol=1e-7)
    assert torch.allclose(layer.bias, torch.ones(32))
    assert IGDN(3).inverse and not GDN(3).inverse
    with pytest.raises(ValueError, match='N×3×H×W'):
        GDN(3)(torch.zeros(1, 4, 2, 2))


def test_weights_stay_nonnegative_after_a_step_that_pushes_them_down():
    layer = GDN(3)
    optimizer = torch.optim.SGD(layer.parameters(), lr=100.0)
    for _ in range(3):
        optimizer.zero_grad()
        # d/dv of sum(v) > 0 everywhere: descent drives every w, b down.
        (layer.weight.sum() + layer.bias.sum()).backward()
        optimizer.step()
    assert (layer.raw_weight < 0).any()  # the raw parameters went negative
    assert (layer.weight >= 0).all()
    assert (layer.bias >= layer.beta_min - 1e-12).all()
    x = torch.randn(1, 3, 4, 4)
    assert torch.isfinite(layer(x)).all()


def test_gradient_at_the_bound_lets_a_parameter_leave_it():
    bound = 0.5
    below = torch.tensor([0.1, 0.1], requires_grad=True)
    # Pulling the value up (loss decreases as it grows): gradient flows.
    (-lower_bound(below, bound)).sum().backward()
    assert torch.equal(below.grad, torch.tensor([-1.0, -1.0]))
    # Pushing it further down: cut, as a clamp would.
    below.grad = None
    lower_bound(below, bound).sum().backward()
    assert torch.equal(below.grad, torch.zeros(2))
    # Above the bound: the identity's gradient either way.
    above = torch.tensor([0.9], requires_grad=True)
    lower_bound(above, bound).sum().backward()
    assert torch.equal(above.grad, torch.ones(1))


def test_gdn_off_diagonal_weights_start_at_the_bound_and_can_grow():
    layer = GDN(2)  # w = 0.1·I: the off-diagonal raw params sit on the bound
    x = torch.randn(1, 2, 4, 4)
    # A loss that wants more normalisation (smaller outputs) raises w.
    layer(x).pow(2).sum().backward()
    grad = layer.raw_weight.grad
    assert grad[0, 1] < 0 and grad[1, 0] < 0
    value = nonnegative(torch.tensor([-3.0]))
    assert value.item() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
@pytest.mark.parametrize('inverse', [False, True])
def test_autocast_computes_the_normaliser_in_float32(dtype, inverse):
    torch.manual_seed(0)
    layer = GDN(8, inverse=inverse)
    _set(layer, torch.rand(8, 8), torch.rand(8) + 0.5)
    # Activations whose squares summed over 8 channels overflow float16.
    x = (torch.randn(1, 8, 6, 6) * 300).to(dtype)
    reference = layer(x.float())
    with torch.autocast('cpu', dtype=dtype):
        out = layer(x)
    assert out.dtype == dtype
    if not inverse:  # GDN outputs are bounded: finite in any dtype
        assert torch.isfinite(out).all()
        assert torch.allclose(out.float(), reference, rtol=2e-2, atol=2e-2)
    else:
        assert torch.allclose(layer.normaliser(x), layer.normaliser(
            x.float()))
    assert layer.normaliser(x).dtype == torch.float32


def test_resblock_is_residual():
    block = ResBlock(4)
    assert sum(p.numel() for p in ResBlock(32).parameters()) == 18496
    torch.nn.init.zeros_(block.conv2.weight)
    torch.nn.init.zeros_(block.conv2.bias)
    x = torch.randn(1, 4, 5, 5)
    assert torch.equal(block(x), x)
