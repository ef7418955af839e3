import pytest
import torch

import toolbox.models  # noqa: F401  (registers the losses)
from toolbox.models.algorithms.loss_routing import RoutedLosses
from toolbox.models.losses.orthogonality import SVDOLoss


def features_with_gram_eigenvalues(eigenvalues, height, width, seed=0,
                                   dtype=torch.float64):
    """An ``N×C×H×W`` batch whose ``F Fᵀ`` has the given eigenvalues (per
    image): ``F = Q diag(√λ) Pᵀ`` with orthonormal ``Q`` (C×C) and ``P``
    (HW×C)."""
    gen = torch.Generator().manual_seed(seed)
    eigenvalues = torch.as_tensor(eigenvalues, dtype=dtype)
    batch = []
    for lam in eigenvalues:
        c = lam.numel()
        q, _ = torch.linalg.qr(torch.randn(c, c, generator=gen, dtype=dtype))
        p, _ = torch.linalg.qr(torch.randn(height * width, c, generator=gen,
                                           dtype=dtype))
        batch.append((q * lam.sqrt()) @ p.T)
    return torch.stack(batch).reshape(len(batch), -1, height, width)


def test_value_on_known_eigenvalues():
    lam = [[1.0, 4.0, 9.0], [2.0, 2.5, 3.0]]
    feat = features_with_gram_eigenvalues(lam, 6, 5)
    gaps = torch.tensor([(9.0 - 1.0)**2, (3.0 - 2.0)**2])
    paper = SVDOLoss(gram_norm='none')
    assert paper(feat).item() == pytest.approx(gaps.mean().item(), rel=1e-9)
    pixels = 30
    mean = SVDOLoss(gram_norm='mean')
    assert mean(feat).item() == pytest.approx(
        gaps.mean().item() / pixels**2, rel=1e-9)
    ref = SVDOLoss(gram_norm='reference', reference_size=63, loss_weight=2)
    assert ref(feat).item() == pytest.approx(
        2 * gaps.mean().item() * (63 * 63 / pixels)**2, rel=1e-9)


def test_orthogonal_equal_energy_channels_give_zero():
    feat = features_with_gram_eigenvalues([[3.0, 3.0, 3.0, 3.0]], 4, 4)
    assert SVDOLoss(gram_norm='none')(feat).item() == pytest.approx(
        0.0, abs=1e-9)


def test_scaled_gram_does_not_depend_on_the_crop_size():
    torch.manual_seed(0)
    feat = torch.randn(2, 4, 5, 5)
    tiled = feat.repeat(1, 1, 2, 2)  # the same statistics on 4x the pixels
    for norm in ('reference', 'mean'):
        loss = SVDOLoss(gram_norm=norm)
        assert loss(tiled).item() == pytest.approx(loss(feat).item(),
                                                   rel=1e-5)
    paper = SVDOLoss(gram_norm='none')
    assert paper(tiled).item() == pytest.approx(16 * paper(feat).item(),
                                                rel=1e-5)


def test_gradient_matches_finite_differences():
    feat = features_with_gram_eigenvalues([[1.0, 2.0, 5.0]], 3, 3, seed=1)
    feat = (feat + 0.01 * torch.randn_like(feat)).requires_grad_()
    for norm in ('none', 'reference'):
        loss = SVDOLoss(gram_norm=norm, reference_size=4)
        assert torch.autograd.gradcheck(loss, (feat, ), eps=1e-6, atol=1e-5,
                                        rtol=1e-4)


def test_list_of_phases_is_averaged_or_summed():
    torch.manual_seed(0)
    a, b = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    loss = SVDOLoss(gram_norm='mean')
    assert torch.allclose(loss([a, b]), (loss(a) + loss(b)) / 2)
    total = SVDOLoss(gram_norm='mean', phase_reduction='sum')
    assert torch.allclose(total([a, b]), loss(a) + loss(b))
    with pytest.raises(ValueError, match='empty'):
        loss([])
    with pytest.raises(ValueError, match='gram_norm'):
        SVDOLoss(gram_norm='trace')


def test_routed_list_reaches_the_loss_whole():
    torch.manual_seed(0)
    phases = [torch.randn(1, 3, 4, 4) for _ in range(3)]
    losses = RoutedLosses([dict(type='SVDOLoss', loss_weight=1.0,
                                loss_name='svdo', gram_norm='mean',
                                inputs=('fdm', ))])
    out = losses(dict(fdm=phases))
    single = SVDOLoss(gram_norm='mean')
    expected = sum(single(p) for p in phases) / 3
    assert torch.allclose(out['loss_svdo'], expected)


def test_float32_eigenvalues_under_autocast():
    torch.manual_seed(0)
    feat = torch.randn(2, 4, 6, 6).to(torch.bfloat16)
    loss = SVDOLoss(gram_norm='mean')
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(feat)
    assert value.dtype == torch.float32
    assert torch.allclose(value, loss(feat.float()))
