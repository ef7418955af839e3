"""PatchNCELoss (DCD-GAN Eq. 2): negatives per option, analytic values,
agreement with CUT's / the released DCD-GAN formulation, gradients."""
import math

import pytest
import torch
import torch.nn.functional as F

from toolbox.models.losses.patch_nce import patch_negative_mask
from toolbox.registry import LOSSES


def build(**kwargs):
    return LOSSES.build(dict(type='PatchNCELoss', **kwargs))


def codes(rows, dim, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(rows, dim, generator=gen), dim=1)


@pytest.mark.parametrize('negatives,expected', [
    ('internal', 4 - 1),
    ('external', (2 - 1) * 4 + 3),
    ('both', 2 * 4 - 1 + 3),
    ('released', 2 * 4 - 1),
])
def test_number_of_negatives_per_query(negatives, expected):
    mask = patch_negative_mask(8, batch_size=2, negatives=negatives,
                               num_external=3)
    assert mask.shape == (8, 8 + 3)
    assert mask.sum(dim=1).tolist() == [expected] * 8
    assert not mask[:, :8].diagonal().any()  # never the positive itself


def test_paper_counts_at_batch_one():
    """255 internal and 256 external negatives per query (Sec. 4.1)."""
    counts = {mode: build(negatives=mode).negative_mask(
        256, batch_size=1, num_external=256).sum(dim=1).unique().tolist()
        for mode in ('internal', 'external', 'both', 'released')}
    assert counts == {'internal': [255], 'external': [256],
                      'both': [511], 'released': [255]}


def test_internal_stays_in_the_image_external_leaves_it():
    internal = patch_negative_mask(6, 2, 'internal')
    external = patch_negative_mask(6, 2, 'external')
    image = torch.arange(6) // 3
    same = image[:, None] == image[None, :]
    assert torch.equal(internal, same & ~torch.eye(6, dtype=torch.bool))
    assert torch.equal(external, ~same)


@pytest.mark.parametrize('temperature', [0.07, 1.0])
@pytest.mark.parametrize('negatives', ['internal', 'external', 'both',
                                       'released'])
def test_identical_positives_orthogonal_negatives_analytic(
        negatives, temperature):
    """q = k, every negative orthogonal to the query: each query's loss is
    -log(e^{1/τ} / (e^{1/τ} + m·e^0)) = log(1 + m·e^{-1/τ})."""
    n, p, m = 2, 3, 4
    basis = torch.eye(n * p + m)  # one-hot rows: mutually orthogonal
    key, external = basis[:n * p], basis[n * p:]
    query = key.clone()
    loss = build(negatives=negatives, temperature=temperature,
                 loss_weight=0.5)
    count = {'internal': p - 1, 'external': (n - 1) * p + m,
             'both': n * p - 1 + m, 'released': n * p - 1}[negatives]
    expected = 0.5 * math.log1p(count * math.exp(-1 / temperature))
    value = loss(query, key, batch_size=n, external_negatives=external)
    # At τ = 0.07 the value is ~1e-6: float32 rounds 1 + m·e^{-1/τ} to
    # 1.2e-7 steps, hence the absolute tolerance.
    assert value.item() == pytest.approx(expected, rel=1e-5, abs=1e-7)


def reference_cut(q, k, n, temperature=0.07):
    """CUT's default PatchNCE written out: per image, positive logit first,
    the other patches of the image as negatives (self filled with -10)."""
    d = q.shape[1]
    qb, kb = q.view(n, -1, d), k.view(n, -1, d)
    pos = (q * k).sum(dim=1, keepdim=True)
    neg = torch.bmm(qb, kb.transpose(1, 2))
    eye = torch.eye(neg.shape[1], dtype=torch.bool)[None]
    neg = neg.masked_fill(eye, -10.0).reshape(-1, neg.shape[1])
    logits = torch.cat([pos, neg], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long))


def test_internal_matches_cut_and_released_matches_dcd_code():
    q, k = codes(2 * 16, 8, 0), codes(2 * 16, 8, 1)
    internal = build(negatives='internal')(q, k, batch_size=2)
    assert internal.item() == pytest.approx(reference_cut(q, k, 2).item(),
                                            rel=1e-5)
    # The released code ignores the images: the batch is one "image".
    released = build(negatives='released')(q, k)
    assert released.item() == pytest.approx(reference_cut(q, k, 1).item(),
                                            rel=1e-5)
    # At batch 1 every option without external codes is CUT's.
    q1, k1 = q[:16], k[:16]
    ref = reference_cut(q1, k1, 1).item()
    for mode in ('internal', 'both', 'released'):
        assert build(negatives=mode)(q1, k1, batch_size=1).item() == \
            pytest.approx(ref, rel=1e-5)


def test_external_negatives_enter_only_external_and_both():
    q, k, ext = codes(8, 6, 0), codes(8, 6, 1), codes(5, 6, 2)
    for mode in ('internal', 'released'):
        loss = build(negatives=mode)
        assert not loss.uses_external_negatives
        assert loss(q, k, batch_size=2, external_negatives=ext).item() == \
            loss(q, k, batch_size=2).item()
    for mode in ('external', 'both'):
        loss = build(negatives=mode)
        assert loss.uses_external_negatives
        assert loss(q, k, batch_size=2, external_negatives=ext).item() > \
            loss(q, k, batch_size=2).item()


def test_gradient_reaches_the_query_not_the_key():
    q = codes(8, 6, 0).requires_grad_()
    k = codes(8, 6, 1).requires_grad_()
    ext = codes(4, 6, 2).requires_grad_()
    build()(q, k, batch_size=2, external_negatives=ext).backward()
    assert q.grad is not None and q.grad.abs().sum() > 0
    assert k.grad is None and ext.grad is None
    ext.grad = None
    build(detach_external=False)(q, k, batch_size=2,
                                 external_negatives=ext).backward()
    assert ext.grad is not None and ext.grad.abs().sum() > 0


def test_layers_are_averaged():
    qs = [codes(8, 6, 0), codes(8, 4, 1)]
    ks = [codes(8, 6, 2), codes(8, 4, 3)]
    exts = [codes(3, 6, 4), codes(2, 4, 5)]
    loss = build(loss_weight=2.0)
    per_layer = [loss(q, k, batch_size=2, external_negatives=e)
                 for q, k, e in zip(qs, ks, exts)]
    both = loss(qs, ks, batch_size=2, external_negatives=exts)
    assert both.item() == pytest.approx(
        (per_layer[0].item() + per_layer[1].item()) / 2, rel=1e-6)


def test_no_negative_gives_attached_zero():
    q = codes(4, 6, 0).requires_grad_()
    value = build(negatives='external')(q, codes(4, 6, 1), batch_size=1)
    assert value.item() == 0.0 and value.requires_grad


def test_float32_under_bfloat16_autocast():
    q, k = codes(8, 6, 0), codes(8, 6, 1)
    expected = build()(q, k, batch_size=2)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = build()(q.bfloat16(), k.bfloat16(), batch_size=2)
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(expected.item(), rel=2e-2)


def test_rejects_bad_inputs():
    q, k = codes(6, 4, 0), codes(6, 4, 1)
    with pytest.raises(ValueError, match='batch_size'):
        build(negatives='internal')(q, k)
    with pytest.raises(ValueError, match='do not split'):
        build(negatives='external')(q, k, batch_size=4)
    with pytest.raises(ValueError, match='same'):
        build()(q, codes(6, 5, 1))
    with pytest.raises(ValueError, match='pair up'):
        build()([q, q], [k])
    with pytest.raises(ValueError, match='external_negatives'):
        build()(q, k, external_negatives=codes(3, 5, 2))
    with pytest.raises(ValueError, match='negatives must be one of'):
        build(negatives='all')
    with pytest.raises(ValueError, match='temperature'):
        build(temperature=0)


def test_dcd_cross_heads_calling_convention():
    """NCE1 of DCD-GAN with two heads: key = F1(G_A-side features), query
    = F2(G_B-side features) at the key's ids, external negatives = the
    other CGB's key codes. Only the query's head learns from this term."""
    from toolbox.registry import HEADS
    f1 = HEADS.build(dict(type='PatchSampleMLP', in_channels=(4, 6),
                          num_patches=5, mlp_channels=8))
    f2 = HEADS.build(dict(type='PatchSampleMLP', in_channels=(4, 6),
                          num_patches=5, mlp_channels=8))
    feats_a = [torch.randn(2, 4, 4, 4), torch.randn(2, 6, 2, 4)]
    feats_b = [torch.randn(2, 4, 4, 4), torch.randn(2, 6, 2, 4)]
    feats_other = [torch.randn(2, 4, 4, 4), torch.randn(2, 6, 2, 4)]
    k_samples, ids = f1(feats_a)
    q_samples, _ = f2(feats_b, patch_ids=ids)
    other, _ = f2(feats_other)
    loss = build(negatives='both', loss_weight=2.0)
    value = loss(q_samples, k_samples, batch_size=2,
                 external_negatives=other)
    assert [s.shape for s in q_samples] == [(10, 8), (10, 8)]
    value.backward()
    assert all(p.grad is not None for p in f2.parameters())
    assert all(p.grad is None for p in f1.parameters())
