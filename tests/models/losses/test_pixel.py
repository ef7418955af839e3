"""Pixel losses against hand computations."""
import math

import numpy as np
import pytest
import torch

from toolbox.registry import LOSSES


def build(type_, **kwargs):
    return LOSSES.build(dict(type=type_, **kwargs))


PRED = torch.tensor([0.0, 0.5, 1.0, 0.25]).view(1, 1, 2, 2)
TARGET = torch.tensor([0.1, 0.5, 0.7, 0.0]).view(1, 1, 2, 2)
DIFFS = [-0.1, 0.0, 0.3, 0.25]


def test_l1_and_mse_by_hand():
    l1 = sum(abs(d) for d in DIFFS) / 4
    mse = sum(d * d for d in DIFFS) / 4
    assert build('L1Loss')(PRED, TARGET).item() == pytest.approx(l1)
    assert build('MSELoss')(PRED, TARGET).item() == pytest.approx(mse)
    assert build('L1Loss', loss_weight=3.0)(PRED, TARGET).item() == \
        pytest.approx(3 * l1)
    assert build('MSELoss', loss_weight=0.5)(PRED, TARGET).item() == \
        pytest.approx(0.5 * mse)


def test_charbonnier_by_hand():
    eps = 1e-3
    expected = sum(math.sqrt(d * d + eps * eps) for d in DIFFS) / 4
    loss = build('CharbonnierLoss')
    assert loss.eps == 1e-3  # MPRNet's ε
    assert loss(PRED, TARGET).item() == pytest.approx(expected, rel=1e-6)
    weighted = build('CharbonnierLoss', loss_weight=2.0, eps=0.5)
    expected = 2.0 * sum(math.sqrt(d * d + 0.25) for d in DIFFS) / 4
    assert weighted(PRED, TARGET).item() == pytest.approx(expected, rel=1e-6)
    # Equal inputs leave only ε: the loss is smooth at zero.
    assert loss(TARGET, TARGET).item() == pytest.approx(eps, rel=1e-5)


def numpy_laplacian(img):
    """One Laplacian-pyramid level, written out with loops: blur with the
    5×5 binomial kernel (replicate borders), keep every other pixel ×4,
    blur again, subtract from the image."""
    k1 = np.array([0.05, 0.25, 0.4, 0.25, 0.05])
    kernel = np.outer(k1, k1)

    def blur(x):
        padded = np.pad(x, 2, mode='edge')
        out = np.zeros_like(x)
        for i in range(x.shape[0]):
            for j in range(x.shape[1]):
                out[i, j] = (padded[i:i + 5, j:j + 5] * kernel).sum()
        return out

    filtered = blur(img)
    upsampled = np.zeros_like(filtered)
    upsampled[::2, ::2] = 4 * filtered[::2, ::2]
    return img - blur(upsampled)


def test_edge_loss_by_hand():
    rng = np.random.default_rng(0)
    pred = rng.random((2, 3, 9, 10))
    target = rng.random((2, 3, 9, 10))
    eps = 1e-3
    lap_p = np.stack([[numpy_laplacian(c) for c in im] for im in pred])
    lap_t = np.stack([[numpy_laplacian(c) for c in im] for im in target])
    expected = np.sqrt((lap_p - lap_t) ** 2 + eps * eps).mean()
    loss = build('EdgeLoss', loss_weight=0.05)
    value = loss(torch.from_numpy(pred).float(),
                 torch.from_numpy(target).float())
    assert value.item() == pytest.approx(0.05 * expected, rel=1e-5)


def test_edge_loss_laplacian_of_flat_image_vanishes_inside():
    loss = build('EdgeLoss')
    flat = torch.full((1, 3, 12, 12), 0.3)
    lap = loss.laplacian(flat)
    # Zero away from the borders; the 2-pixel border responds, as in the
    # release (replicate padding of the zero-inserted upsampled image).
    assert lap[..., 2:-2, 2:-2].abs().max().item() < 1e-6
    assert lap[..., :2, :].abs().max().item() > 1e-2
    step = flat.clone()
    step[..., 6:] = 0.9
    assert loss.laplacian(step)[..., 2:-2, 2:-2].abs().max().item() > 0.1


def test_losses_are_differentiable_and_check_shapes():
    pred = torch.rand(1, 3, 8, 8, requires_grad=True)
    target = torch.rand(1, 3, 8, 8)
    for name in ('L1Loss', 'MSELoss', 'CharbonnierLoss', 'EdgeLoss'):
        loss = build(name)
        loss(pred, target).backward()
        assert pred.grad is not None and torch.isfinite(pred.grad).all()
        pred.grad = None
        with pytest.raises(ValueError, match='differ'):
            loss(pred, target[..., :4])


def test_restorer_sums_losses_over_mprnet_stages():
    from toolbox.registry import MODELS
    restorer = MODELS.build(dict(
        type='Restorer',
        generator=dict(type='MPRNet', n_feat=8, scale_unetfeats=4,
                       scale_orsnetfeats=4, num_cab=1),
        losses=[dict(type='CharbonnierLoss', loss_weight=1.0),
                dict(type='EdgeLoss', loss_weight=0.05)],
        data_preprocessor=dict(type='RestorationDataPreprocessor',
                               value_range='[0,1]', pad_size_divisor=8)))
    x, y = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    stages = restorer.generator(x)
    losses = restorer.compute_losses(stages, y)
    charbonnier = build('CharbonnierLoss')
    edge = build('EdgeLoss', loss_weight=0.05)
    expected_c = sum(charbonnier(s, y) for s in stages)
    expected_e = sum(edge(s, y) for s in stages)
    torch.testing.assert_close(losses['loss_charbonnier'], expected_c)
    torch.testing.assert_close(losses['loss_edge'], expected_e)
