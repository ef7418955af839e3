"""EX-MGCL (Uni-Removal Eqs. 9-11) against hand computations, and its
reduction to Eq. (2) with one positive."""
import math

import torch

import toolbox.models  # noqa: F401
from toolbox.models.losses.contrastive import (ContrastiveLoss,
                                               ExtendedFeatureContrastiveLoss,
                                               ExtendedImageContrastiveLoss,
                                               extended_info_nce, info_nce)


def cos(a, b):
    return float(torch.dot(a, b) / (a.norm() * b.norm()))


def test_extended_loss_against_a_hand_computation():
    torch.manual_seed(0)
    tau = 0.5
    anchor = torch.randn(2, 5, dtype=torch.float64)
    positives = torch.randn(3, 5, dtype=torch.float64)
    negatives = torch.randn(4, 5, dtype=torch.float64)
    neg_mask = torch.tensor([[1, 1, 0, 1], [0, 1, 1, 1]], dtype=torch.bool)
    loss, valid = extended_info_nce(anchor, positives, negatives, tau,
                                    negative_mask=neg_mask)
    assert valid.all()
    for i in range(2):
        pos = sum(math.exp(cos(anchor[i], p) / tau) for p in positives)
        neg = sum(math.exp(cos(anchor[i], n) / tau)
                  for j, n in enumerate(negatives) if neg_mask[i, j])
        expected = -math.log(pos / (pos + neg))
        assert abs(float(loss[i]) - expected) < 1e-5


def test_one_positive_is_exactly_eq_2():
    """Eq. (9) with one positive per anchor is Eq. (2): against Eq. (2)
    computed by hand, and through the loss module both ways."""
    torch.manual_seed(1)
    anchor = torch.randn(3, 6, dtype=torch.float64)
    positive = torch.randn(3, 6, dtype=torch.float64)
    negatives = torch.randn(4, 6, dtype=torch.float64)
    tau = 0.3
    loss, _ = info_nce(anchor, positive, negatives, tau)
    for i in range(3):
        pos = math.exp(cos(anchor[i], positive[i]) / tau)
        neg = sum(math.exp(cos(anchor[i], n) / tau) for n in negatives)
        assert abs(float(loss[i]) + math.log(pos / (pos + neg))) < 1e-5
    # A batch of K=1 shared positive is the single-positive loss.
    one = torch.ones(1, 1, dtype=torch.bool)
    single, _ = info_nce(anchor[:1], positive[:1], negatives, 1e-6)
    extended, _ = extended_info_nce(anchor[:1], positive[:1], negatives,
                                    1e-6, positive_mask=one)
    assert torch.equal(single, extended)
    base = ContrastiveLoss(temperature=0.1)
    x, p, n = torch.randn(1, 3, 4, 4), torch.randn(1, 3, 4, 4), \
        torch.randn(3, 3, 4, 4)
    assert torch.equal(base.contrast(x, p, n),
                       base.contrast(x, p, n, positive_mask=one))


def test_efcl_positives_are_all_clear_features_negatives_other_types():
    torch.manual_seed(2)
    efcl = ExtendedFeatureContrastiveLoss(loss_weight=1.0, temperature=1.0)
    degraded = torch.randn(3, 2, 2, 2)
    clear = torch.randn(2, 2, 2, 2)
    labels = ['haze', 'rain', 'haze']
    value = efcl(degraded, clear, labels)
    flat_d, flat_c = degraded.flatten(1), clear.flatten(1)
    total = 0.0
    for i in range(3):
        pos = sum(math.exp(cos(flat_d[i], c)) for c in flat_c)
        neg = sum(math.exp(cos(flat_d[i], flat_d[j])) for j in range(3)
                  if labels[j] != labels[i])
        total += -math.log(pos / (pos + neg))
    assert abs(float(value) - total / 3) < 1e-5


def test_eicl_uses_restored_clear_as_positives_and_inputs_as_negatives():
    torch.manual_seed(3)
    eicl = ExtendedImageContrastiveLoss(loss_weight=2.0, temperature=1.0,
                                        embedding=None, layer_weights=None)
    restored = torch.rand(2, 3, 4, 4)
    restored_clear = torch.rand(3, 3, 4, 4)
    degraded = torch.rand(2, 3, 4, 4)
    value = eicl(restored, restored_clear, degraded)
    r, c, d = (t.flatten(1) for t in (restored, restored_clear, degraded))
    total = 0.0
    for i in range(2):
        pos = sum(math.exp(cos(r[i], p)) for p in c)
        neg = sum(math.exp(cos(r[i], n)) for n in d)
        total += -math.log(pos / (pos + neg))
    assert abs(float(value) - 2.0 * total / 2) < 1e-5


def test_ratio_form_against_a_hand_computation_and_free_of_tau():
    """form='ratio' (the other reading of Eq. 2): mean cosine distance to
    the positives over mean distance to the allowed negatives; τ does not
    enter, so τ = 1e-6 keeps it the size of the distances."""
    torch.manual_seed(2)
    anchor = torch.randn(2, 5, dtype=torch.float64)
    positives = torch.randn(3, 5, dtype=torch.float64)
    negatives = torch.randn(4, 5, dtype=torch.float64)
    neg_mask = torch.tensor([[1, 1, 0, 1], [0, 1, 1, 1]], dtype=torch.bool)
    loss, valid = extended_info_nce(anchor, positives, negatives, 1e-6,
                                    negative_mask=neg_mask, form='ratio')
    assert valid.all()
    for i in range(2):
        pos = sum(1 - cos(anchor[i], p) for p in positives) / 3
        neg = sum(1 - cos(anchor[i], n) for j, n in enumerate(negatives)
                  if neg_mask[i, j]) / 3
        assert abs(float(loss[i]) - pos / (neg + 1e-7)) < 1e-6
    same, _ = extended_info_nce(anchor, positives, negatives, 1.0,
                                negative_mask=neg_mask, form='ratio')
    assert torch.equal(loss, same)
    # Through the module; InfoNCE at τ = 1e-6 is orders of magnitude larger
    # on the same inputs.
    x, p, n = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4), \
        torch.randn(3, 3, 4, 4)
    ratio = ContrastiveLoss(temperature=1e-6, form='ratio').contrast(x, p, n)
    nce = ContrastiveLoss(temperature=1e-6).contrast(x, p, n)
    assert 0 < float(ratio) < 3 and float(nce) > 1e3
    import pytest
    with pytest.raises(ValueError, match="form must be one of"):
        ContrastiveLoss(form='ratios')
