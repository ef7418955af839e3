import math

import pytest
import torch
import torch.nn.functional as F

from toolbox.models.losses import (ContrastiveLoss, FeatureContrastiveLoss,
                                   ImageContrastiveLoss)
from toolbox.models.losses.contrastive import feature_vectors, info_nce
from toolbox.registry import MODELS


def unit(*values):
    return F.normalize(torch.tensor([values], dtype=torch.float32), dim=1)


def test_matches_hand_computed_infonce():
    anchor = torch.tensor([[2.0, 0.0]])  # normalised inside: (1, 0)
    positive = torch.tensor([[0.6, 0.8]])
    negatives = torch.tensor([[0.0, 3.0], [-1.0, 0.0]])
    tau = 0.5
    # s(o,p) = 0.6, s(o,n1) = 0, s(o,n2) = -1
    expected = -math.log(
        math.exp(0.6 / tau) /
        (math.exp(0.6 / tau) + math.exp(0.0 / tau) + math.exp(-1.0 / tau)))
    loss = ContrastiveLoss(loss_weight=2.0, temperature=tau)
    assert loss(anchor, positive, negatives).item() == pytest.approx(
        2.0 * expected, rel=1e-5)


def test_equals_cross_entropy_on_logits_for_moderate_tau():
    torch.manual_seed(0)
    a, p, n = torch.randn(5, 8), torch.randn(5, 8), torch.randn(7, 8)
    an, pn, nn_ = (F.normalize(x, dim=1) for x in (a, p, n))
    logits = torch.cat([(an * pn).sum(1, keepdim=True), an @ nn_.t()], 1) / .1
    expected = F.cross_entropy(logits, torch.zeros(5, dtype=torch.long))
    got = ContrastiveLoss(temperature=0.1)(a, p, n)
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)


def test_gradient_pulls_anchor_to_positive_and_away_from_negatives():
    torch.manual_seed(0)
    anchor = torch.randn(4, 16, requires_grad=True)
    positive, negatives = torch.randn(4, 16), torch.randn(6, 16)
    loss_fn = ContrastiveLoss(temperature=0.2)

    def similarity(x, y):
        return F.cosine_similarity(x, y, dim=1).mean().item()

    before_pos = similarity(anchor, positive)
    before_neg = (F.normalize(anchor, dim=1) @ F.normalize(
        negatives, dim=1).t()).mean().item()
    loss = loss_fn(anchor, positive, negatives)
    loss.backward()
    with torch.no_grad():
        moved = anchor - 0.05 * anchor.grad
    assert similarity(moved, positive) > before_pos
    after_neg = (F.normalize(moved, dim=1) @ F.normalize(
        negatives, dim=1).t()).mean().item()
    assert after_neg < before_neg
    assert loss_fn(moved, positive, negatives) < loss
    # positives and negatives are detached by default
    p = positive.clone().requires_grad_()
    loss_fn(anchor, p, negatives).backward()
    assert p.grad is None


@pytest.mark.parametrize('closer', ['negative', 'positive'])
def test_stable_at_paper_temperature(closer):
    torch.manual_seed(0)
    anchor = torch.randn(3, 32, requires_grad=True)
    near = anchor.detach() + 0.01 * torch.randn(3, 32)
    far = torch.randn(3, 32)
    positive, negatives = (far, near) if closer == 'negative' else (near, far)
    loss = ContrastiveLoss(temperature=1e-6)(anchor, positive, negatives)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(anchor.grad).all()
    if closer == 'positive':  # nothing violates: ~0 loss, ~0 gradient
        assert loss.item() < 1e-3
    else:  # a hinge with slope 1/τ: (s_n - s_p) / τ
        an = F.normalize(anchor.detach(), dim=1)
        gap = ((an * F.normalize(near, dim=1)).sum(1) -
               (an * F.normalize(far, dim=1)).sum(1)) / 1e-6
        assert loss.item() == pytest.approx(gap.mean().item(), rel=1e-3)
        assert anchor.grad.abs().max() > 1e3


def test_negative_mask_and_anchors_without_negatives():
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    p = torch.tensor([[1.0, 1.0], [1.0, 1.0]])
    n = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    mask = torch.tensor([[True, False], [False, False]])
    per_anchor, has = info_nce(a, p, n, 0.5, mask)
    assert has.tolist() == [True, False]
    assert per_anchor[1].item() == 0.0  # only the positive: -log 1
    full = ContrastiveLoss(temperature=0.5)(a, p, n, negative_mask=mask)
    assert full.item() == pytest.approx(per_anchor[0].item())
    none = ContrastiveLoss(temperature=0.5)(
        a, p, n, negative_mask=torch.zeros(2, 2, dtype=torch.bool))
    none.backward()
    assert none.item() == 0.0 and a.grad is not None


def test_feature_vector_reductions():
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).view(2, 3, 4, 4)
    assert feature_vectors(x, 'flatten').shape == (2, 48)
    assert torch.allclose(feature_vectors(x, 'gap'), x.mean((2, 3)))
    assert feature_vectors(x, 'grid', grid_size=2).shape == (2, 12)
    with pytest.raises(ValueError, match='reduction'):
        ContrastiveLoss(reduction='max')


def test_fcl_uses_only_other_degradations_as_negatives():
    torch.manual_seed(0)
    labels = ['haze', 'haze', 'rain', 'blur']
    student = torch.randn(4, 3, 4, 4)
    teacher = torch.randn(4, 3, 4, 4)
    fcl = FeatureContrastiveLoss(loss_weight=1.0, temperature=0.3)
    base = fcl(student, teacher, labels)
    # Anchor 0's same-label sample (1) is not its negative: moving sample
    # 1's features changes only anchor 1's own term.
    mask = FeatureContrastiveLoss.different_label_mask(labels)
    assert mask.tolist() == [[False, False, True, True],
                             [False, False, True, True],
                             [True, True, False, True],
                             [True, True, True, False]]
    a, p = student.flatten(1), teacher.flatten(1)
    per_anchor, _ = info_nce(a, p, a, 0.3, mask)
    assert base.item() == pytest.approx(per_anchor.mean().item(), rel=1e-5)
    # several levels are averaged
    two = fcl([student, student], [teacher, teacher], labels)
    assert two.item() == pytest.approx(base.item(), rel=1e-5)
    # one label only: no negatives, zero loss
    assert fcl(student, teacher, ['rain'] * 4).item() == 0.0
    with pytest.raises(ValueError, match='differ'):
        fcl(student, teacher[:, :2], labels)


def test_icl_embeds_with_frozen_vgg_outside_the_module_tree():
    loss = ImageContrastiveLoss(
        temperature=0.1,
        embedding=dict(type='VGG19FeatureExtractor', pretrained=None,
                       layers=('relu1_1', 'relu2_1')),
        layer_weights=(0.5, 1.0))
    assert list(loss.parameters()) == [] and loss.state_dict() == {}
    assert not loss.embedding.training
    torch.manual_seed(0)
    restored = torch.rand(2, 3, 16, 16, requires_grad=True)
    value = loss(restored, torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16))
    value.backward()
    assert torch.isfinite(value) and restored.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.embedding.parameters())
    loss.to(torch.float64)  # device/dtype moves reach the embedding
    assert next(loss.embedding.parameters()).dtype == torch.float64


def test_registered_and_built_from_config():
    built = MODELS.build(dict(type='FeatureContrastiveLoss', loss_weight=0.5,
                              temperature=1e-6))
    assert built.loss_weight == 0.5 and built.temperature == 1e-6
    with pytest.raises(ValueError, match='temperature'):
        ContrastiveLoss(temperature=0.0)
