"""ImagePool: filling, swapping with p = ½, seeding, pass-through."""
import pytest
import torch

from toolbox.models.utils import ImagePool


def images(start, n):
    """``n`` 1×2×2 images whose every pixel is its id (start, start+1...)."""
    ids = torch.arange(start, start + n, dtype=torch.float32)
    return ids.view(n, 1, 1, 1).expand(n, 1, 2, 2).clone()


def ids(batch):
    return [int(v) for v in batch[:, 0, 0, 0]]


def test_fills_then_keeps_its_size():
    pool = ImagePool(4, seed=0)
    out = pool.query(images(0, 3))
    assert ids(out) == [0, 1, 2] and len(pool) == 3
    out = pool.query(images(3, 1))
    assert ids(out) == [3] and len(pool) == 4
    out = pool.query(images(4, 8))
    assert len(pool) == 4 and out.shape == (8, 1, 2, 2)


def expected_ids(pool_size, seed, batches):
    """The documented protocol, replayed with a generator of the same seed:
    per image once full, a uniform number (> ½: swap) and on a swap the
    slot."""
    gen = torch.Generator()
    gen.manual_seed(seed)
    stored, result = [], []
    for batch in batches:
        for i in batch:
            if len(stored) < pool_size:
                stored.append(i)
                result.append(i)
            elif torch.rand((), generator=gen).item() > 0.5:
                slot = int(torch.randint(pool_size, (), generator=gen))
                result.append(stored[slot])
                stored[slot] = i
            else:
                result.append(i)
    return result, stored


def test_seeded_behaviour_is_exact():
    pool = ImagePool(5, seed=123)
    got = []
    batches = [list(range(s, s + 3)) for s in range(0, 60, 3)]
    for batch in batches:
        got += ids(pool.query(images(batch[0], 3)))
    result, stored = expected_ids(5, 123, batches)
    assert got == result
    assert [int(im[0, 0, 0]) for im in pool.images] == stored
    # Some images came from the pool, some were passed on.
    assert any(g < i for g, i in zip(got[5:], range(5, 60)))
    assert any(g == i for g, i in zip(got[5:], range(5, 60)))


def test_same_seed_same_draws_other_seed_differs():
    def run(seed):
        pool = ImagePool(3, seed=seed)
        return [ids(pool.query(images(i, 2))) for i in range(0, 80, 2)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_global_generator_without_seed():
    def run():
        torch.manual_seed(5)
        pool = ImagePool(3)
        return [ids(pool.query(images(i, 2))) for i in range(0, 80, 2)]

    assert run() == run()


def test_swap_statistics():
    """Once full, half of the queries return a stored image, each slot
    equally likely; the returned image was stored and the new one takes
    its place."""
    size, n = 10, 4000
    pool = ImagePool(size, seed=0)
    pool.query(images(0, size))
    swaps, slots = 0, [0] * size
    for i in range(size, size + n):
        before = [int(im[0, 0, 0]) for im in pool.images]
        out = ids(pool.query(images(i, 1)))[0]
        after = [int(im[0, 0, 0]) for im in pool.images]
        if out == i:
            assert after == before
        else:
            swaps += 1
            slot = before.index(out)
            slots[slot] += 1
            assert after[slot] == i
            assert after[:slot] + after[slot + 1:] == \
                before[:slot] + before[slot + 1:]
    assert swaps / n == pytest.approx(0.5, abs=0.03)  # ~4 std
    expected = swaps / size
    chi2 = sum((c - expected)**2 / expected for c in slots)
    assert chi2 < 30  # 9 degrees of freedom: p < 0.001


def test_size_zero_passes_through_detached():
    pool = ImagePool(0, seed=0)
    x = torch.randn(3, 3, 4, 4, requires_grad=True)
    out = pool.query(x)
    assert torch.equal(out, x) and out.data_ptr() == x.data_ptr()
    assert not out.requires_grad and len(pool) == 0


def test_returns_detached_copies_that_do_not_alias_the_pool():
    pool = ImagePool(2, seed=0)
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    out = pool.query(x)
    assert not out.requires_grad
    torch.testing.assert_close(out, x.detach())
    with torch.no_grad():
        x.add_(1)
    torch.testing.assert_close(pool.images[0], out[0])
    assert not torch.equal(pool.images[0], x[0].detach())


def test_validation():
    with pytest.raises(ValueError, match='pool_size'):
        ImagePool(-1)


def test_a_resumed_pool_answers_as_the_original():
    """resume_state_dict / load_resume_state_dict (what ExactResumeHook
    saves in checkpoints): the images and the own generator's state."""
    pool = ImagePool(3, seed=1)
    pool.query(torch.randn(4, 3, 4, 4))
    resumed = ImagePool(3, seed=7)
    resumed.load_resume_state_dict(pool.resume_state_dict())
    batch = torch.randn(6, 3, 4, 4)
    assert torch.equal(resumed.query(batch), pool.query(batch))
    assert all(torch.equal(a, b) for a, b in zip(resumed.images,
                                                 pool.images))
    # A smaller pool keeps what fits.
    small = ImagePool(2)
    small.load_resume_state_dict(pool.resume_state_dict())
    assert len(small) == 2
