"""PatchSampleMLP: CUT/DCD-GAN's patch sampler and projection head."""
import pytest
import torch

from toolbox.registry import HEADS


def build(**kwargs):
    return HEADS.build(dict(type='PatchSampleMLP', **kwargs))


def test_dcd_parameter_count_and_mlps_exist_from_construction():
    head = build(in_channels=(128, 256, 256, 256))
    # seed_code.md §1: PatchSampleF on DCD's layers 4, 8, 12, 16.
    assert sum(p.numel() for p in head.parameters()) == 493_568
    assert len(head.mlps) == 4 and head.out_channels == [256] * 4
    # An optimiser built before any forward pass sees every parameter.
    opt = torch.optim.Adam(head.parameters())
    assert sum(p.numel() for g in opt.param_groups
               for p in g['params']) == 493_568
    assert build(in_channels=(4, 8), use_mlp=False).out_channels == [4, 8]
    assert not list(build(in_channels=(4, 8), use_mlp=False).parameters())


def test_xavier_init_with_gain_and_zero_bias():
    torch.manual_seed(0)
    head = build(in_channels=(64, ), mlp_channels=128)
    first = head.mlps[0][0]
    # xavier_normal: std = gain · sqrt(2 / (fan_in + fan_out))
    expected = 0.02 * (2.0 / (64 + 128)) ** 0.5
    assert first.weight.std().item() == pytest.approx(expected, rel=0.05)
    assert torch.all(first.bias == 0)
    normal = build(in_channels=(64, ), init_type='normal', init_gain=0.5)
    assert normal.mlps[0][0].weight.std().item() == pytest.approx(
        0.5, rel=0.05)
    with pytest.raises(ValueError, match='init_type'):
        build(in_channels=(4, ), init_type='uniform')


def test_samples_shapes_normalised_and_same_ids_for_every_image():
    torch.manual_seed(0)
    head = build(in_channels=(3, 5), num_patches=6, mlp_channels=8)
    feats = [torch.randn(2, 3, 4, 4), torch.randn(2, 5, 2, 3)]
    samples, ids = head(feats)
    # layer 2 has only 6 positions: all of them, in random order
    assert [s.shape for s in samples] == [(12, 8), (12, 8)]
    assert [i.shape for i in ids] == [(6, ), (6, )]
    assert sorted(ids[1].tolist()) == list(range(6))
    assert len(set(ids[0].tolist())) == 6  # without replacement
    for s in samples:
        # x / (|x| + 1e-7): at CUT's init (gain 0.02) the MLP outputs are
        # ~1e-4 long, so ε leaves their norm visibly below 1.
        norms = s.norm(dim=1)
        assert torch.all(norms <= 1) and torch.all(norms > 0.99)
    # Rows are image-major and both images use the same positions.
    flat = feats[0].permute(0, 2, 3, 1).reshape(2, 16, 3)
    for n in range(2):
        picked = flat[n, ids[0]]
        expected = head.mlps[0](picked)
        expected = expected / (expected.norm(dim=1, keepdim=True) + 1e-7)
        assert torch.allclose(samples[0][n * 6:(n + 1) * 6], expected,
                              atol=1e-6)


def test_query_reuses_key_ids_and_generator_reproduces():
    head = build(in_channels=(3, ), num_patches=5, mlp_channels=4)
    key_feats = [torch.randn(1, 3, 4, 4)]
    gen = torch.Generator().manual_seed(7)
    key, ids = head(key_feats, generator=gen)
    again, ids_again = head(key_feats,
                            generator=torch.Generator().manual_seed(7))
    assert torch.equal(ids[0], ids_again[0]) and torch.equal(key[0],
                                                             again[0])
    # The same map sampled at the key's ids gives the same codes.
    query, query_ids = head(key_feats, patch_ids=ids)
    assert torch.equal(query_ids[0], ids[0])
    assert torch.allclose(query[0], key[0])
    # num_patches per call; 0 takes every position in order
    samples, all_ids = head(key_feats, num_patches=0)
    assert samples[0].shape == (16, 4)
    assert all_ids[0].tolist() == list(range(16))
    assert head(key_feats, num_patches=3)[0][0].shape == (3, 4)


def test_without_mlp_samples_are_normalised_features():
    head = build(in_channels=(3, ), num_patches=4, use_mlp=False)
    feats = torch.randn(1, 3, 2, 2)
    samples, ids = head([feats])
    flat = feats.permute(0, 2, 3, 1).reshape(4, 3)[ids[0]]
    assert torch.allclose(samples[0],
                          flat / (flat.norm(dim=1, keepdim=True) + 1e-7))


def test_gradients_reach_every_mlp_and_the_features():
    head = build(in_channels=(3, 5), num_patches=4, mlp_channels=8)
    feats = [torch.randn(1, 3, 4, 4, requires_grad=True),
             torch.randn(1, 5, 4, 4, requires_grad=True)]
    samples, _ = head(feats)
    sum((s * torch.randn_like(s)).sum() for s in samples).backward()
    assert all(p.grad is not None for p in head.parameters())
    assert all(f.grad is not None for f in feats)


def test_rejects_mismatched_inputs():
    head = build(in_channels=(3, 5), num_patches=4)
    with pytest.raises(ValueError, match='2 in_channels'):
        head([torch.randn(1, 3, 4, 4)])
    with pytest.raises(ValueError, match='expects N×5×H×W'):
        head([torch.randn(1, 3, 4, 4), torch.randn(1, 4, 4, 4)])
    with pytest.raises(ValueError, match='patch_ids'):
        head([torch.randn(1, 3, 4, 4), torch.randn(1, 5, 4, 4)],
             patch_ids=[torch.arange(4)])
