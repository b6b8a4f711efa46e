import math

import pytest
import torch

from gcl.losses.infonce import (
    InfoNCE,
    _ChunkedLogSumExp,
    _fixed_shift_ok,
    dense_bytes_estimate,
    info_nce,
    info_nce_chunked,
    info_nce_dense,
    info_nce_fast,
)


@pytest.fixture(autouse=True)
def _one_thread():
    # the chunked paths run many small kernels; on a shared 2-core machine one thread is much faster
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _views(n: int, d: int = 5, seed: int = 0, dtype: torch.dtype = torch.float64):
    g = torch.Generator().manual_seed(seed)
    z1 = torch.randn(n, d, generator=g, dtype=dtype, requires_grad=True)
    z2 = torch.randn(n, d, generator=g, dtype=dtype, requires_grad=True)
    return z1, z2


def _value_and_grads(fn, z1, z2, key_bias=None):
    loss = fn()
    inputs = [z1, z2] + ([key_bias] if key_bias is not None else [])
    return loss.detach(), torch.autograd.grad(loss, inputs)


def _saved_numels(fn):
    """Sizes of all tensors autograd saves for backward while ``fn`` runs."""
    sizes = []

    def pack(t):
        sizes.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    return out, sizes


# --- hand cases


def test_identity_views_hand_computed():
    z = torch.eye(2)
    # anchor e1: positive s=1, inter negative s=0, intra negative s=0  ->  -log(e / (e + 2))
    expected = math.log(1 + 2 / math.e)
    for fn in (info_nce_dense, info_nce_fast):
        assert fn(z, z, 1.0).item() == pytest.approx(expected, abs=1e-6)
    assert info_nce_chunked(z, z, 1.0, chunk_size=1).item() == pytest.approx(expected, abs=1e-6)
    # without intra-view negatives: -log(e / (e + 1))
    assert info_nce_fast(z, z, 1.0, intra_view_negatives=False).item() == pytest.approx(
        math.log(1 + 1 / math.e), abs=1e-6
    )


def test_swapped_views_hand_computed():
    z1 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    z2 = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    # anchor z1_0: positive s=0, inter negative s=1, intra negative s=0, tau=0.5 -> log(1 + e^2 + 1)
    expected = math.log(2 + math.e**2)
    assert expected == pytest.approx(2.239544766221884)
    for path in ("dense", "fast", "chunked"):
        fn = {"dense": info_nce_dense, "fast": info_nce_fast}.get(path)
        loss = fn(z1, z2, 0.5) if fn else info_nce_chunked(z1, z2, 0.5, chunk_size=1)
        assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_seeded_values():
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    z2 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    assert info_nce(z1, z2, 0.5).item() == pytest.approx(3.885270207736145, abs=1e-12)
    assert info_nce(z1, z2, 0.5, intra_view_negatives=False).item() == pytest.approx(
        3.1855200088902835, abs=1e-12
    )
    assert info_nce(z1, z2, 0.5, symmetric=False).item() == pytest.approx(3.902813429397206, abs=1e-12)


# --- dense vs fast vs chunked


@pytest.mark.parametrize("n,chunk", [(1, 1), (2, 1), (5, 2), (17, 4), (33, 7), (40, 64)])
@pytest.mark.parametrize("intra", [True, False])
@pytest.mark.parametrize("symmetric", [True, False])
def test_paths_agree_values_and_grads(n, chunk, intra, symmetric):
    z1, z2 = _views(n, seed=n)
    kw = {"intra_view_negatives": intra, "symmetric": symmetric}
    ref_v, ref_g = _value_and_grads(lambda: info_nce_dense(z1, z2, 0.3, **kw), z1, z2)
    fast_v, fast_g = _value_and_grads(lambda: info_nce_fast(z1, z2, 0.3, **kw), z1, z2)
    ch_v, ch_g = _value_and_grads(lambda: info_nce_chunked(z1, z2, 0.3, chunk, **kw), z1, z2)
    for v, gs in ((fast_v, fast_g), (ch_v, ch_g)):
        torch.testing.assert_close(v, ref_v, atol=1e-10, rtol=1e-10)
        for g, rg in zip(gs, ref_g):
            torch.testing.assert_close(g, rg, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("tau", [0.7, 0.002])  # fixed-shift and online chunked modes
@pytest.mark.parametrize("intra", [True, False])
@pytest.mark.parametrize("symmetric", [True, False])
def test_paths_agree_with_weights_and_key_bias(tau, intra, symmetric):
    n = 11
    z1, z2 = _views(n, seed=3)
    g = torch.Generator().manual_seed(4)
    weights = torch.rand(n, generator=g, dtype=torch.float64) + 0.1
    key_bias = torch.randn(n, generator=g, dtype=torch.float64, requires_grad=True)
    assert _fixed_shift_ok(torch.float64, tau, key_bias) == (tau > 0.1)
    kw = {"intra_view_negatives": intra, "symmetric": symmetric, "weights": weights, "key_bias": key_bias}
    ref_v, ref_g = _value_and_grads(lambda: info_nce_dense(z1, z2, tau, **kw), z1, z2, key_bias)
    for fn in (
        lambda: info_nce_fast(z1, z2, tau, **kw),
        lambda: info_nce_chunked(z1, z2, tau, 3, **kw),
        lambda: info_nce(z1, z2, tau, chunk_size=4, **kw),
    ):
        v, gs = _value_and_grads(fn, z1, z2, key_bias)
        torch.testing.assert_close(v, ref_v, atol=1e-10, rtol=1e-10)
        for grad, rg in zip(gs, ref_g):
            torch.testing.assert_close(grad, rg, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("tau", [0.5, 0.02])
def test_chunked_function_gradcheck(tau):
    # finite differences against the hand-written backward, through the L2 normalization too;
    # tau = 0.02 with a wide key bias exercises the online (running max) mode
    n, d = 5, 3
    z1, z2 = _views(n, d, seed=7)
    b = torch.tensor([0.1, -0.3, 0.5, 0.0, 0.2], dtype=torch.float64)
    b = (b * (1.0 if tau > 0.1 else 1000.0)).requires_grad_()
    assert _fixed_shift_ok(torch.float64, tau, b) == (tau > 0.1)
    for intra in (True, False):
        for symmetric in (True, False):
            assert torch.autograd.gradcheck(
                lambda a, c, kb, i=intra, s=symmetric: info_nce_chunked(
                    a, c, tau, 2, intra_view_negatives=i, symmetric=s, key_bias=kb
                ),
                (z1, z2, b),
            )


def test_float32_mid_size_fast_equals_chunked():
    z1, z2 = _views(300, 16, seed=1, dtype=torch.float32)
    v_fast, g_fast = _value_and_grads(lambda: info_nce_fast(z1, z2, 0.2), z1, z2)
    v_ch, g_ch = _value_and_grads(lambda: info_nce_chunked(z1, z2, 0.2, chunk_size=64), z1, z2)
    torch.testing.assert_close(v_ch, v_fast, atol=1e-5, rtol=1e-5)
    for a, b in zip(g_ch, g_fast):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_small_temperature_is_stable():
    z1, z2 = _views(50, 8, seed=2, dtype=torch.float32)
    v_fast = info_nce_fast(z1, z2, 0.01)
    v_ch = info_nce_chunked(z1, z2, 0.01, chunk_size=16)
    assert torch.isfinite(v_fast) and torch.isfinite(v_ch)
    torch.testing.assert_close(v_ch, v_fast, atol=1e-4, rtol=1e-5)


# --- memory


def test_chunked_never_saves_n_by_n():
    n = 256
    z1, z2 = _views(n, 8, dtype=torch.float32)
    loss, sizes = _saved_numels(lambda: info_nce_chunked(z1, z2, 0.5, chunk_size=32))
    assert max(sizes) <= 2 * n * 8  # the stacked [2N, D] embeddings are the largest thing kept
    loss.backward()
    _, dense_sizes = _saved_numels(lambda: info_nce_fast(z1, z2, 0.5))
    assert max(dense_sizes) >= n**2  # the dense path keeps N x N blocks of the [2N, 2N] logits


def test_dispatch_follows_memory_budget():
    n = 64
    z1, z2 = _views(n, 4, dtype=torch.float32)
    need = dense_bytes_estimate(n, torch.float32)
    assert need == 4 * (2 * n) ** 2 * 4
    assert dense_bytes_estimate(n, torch.float64, intra_view_negatives=False) == 4 * n * n * 8
    big, big_sizes = _saved_numels(lambda: InfoNCE(0.5, memory_budget_bytes=need)(z1, z2))
    small, small_sizes = _saved_numels(lambda: InfoNCE(0.5, memory_budget_bytes=need - 1)(z1, z2))
    assert max(big_sizes) >= n**2
    assert max(small_sizes) < n * n
    torch.testing.assert_close(small, big, atol=1e-5, rtol=1e-5)
    forced, forced_sizes = _saved_numels(lambda: InfoNCE(0.5, chunk_size=16)(z1, z2))
    assert max(forced_sizes) < n * n
    dense, dense_sizes = _saved_numels(lambda: InfoNCE(0.5, chunk_size=None, memory_budget_bytes=1)(z1, z2))
    assert max(dense_sizes) >= n**2
    torch.testing.assert_close(forced, dense, atol=1e-5, rtol=1e-5)


# --- semantics


def test_weights_are_weighted_mean_over_anchors():
    n = 6
    z1, z2 = _views(n, seed=5)
    per_node = torch.stack(
        [info_nce_dense(z1, z2, 0.4, weights=torch.eye(n, dtype=torch.float64)[k]) for k in range(n)]
    )
    w = torch.tensor([0.0, 1.0, 2.0, 0.5, 0.0, 3.0], dtype=torch.float64)
    expected = (per_node * w).sum() / w.sum()
    torch.testing.assert_close(info_nce(z1, z2, 0.4, weights=w), expected)
    torch.testing.assert_close(info_nce(z1, z2, 0.4, weights=torch.ones(n)), info_nce(z1, z2, 0.4))


def test_invariances():
    z1, z2 = _views(9, seed=6)
    base = info_nce(z1, z2, 0.5)
    torch.testing.assert_close(info_nce(3.0 * z1, 0.5 * z2, 0.5), base)  # normalized inside
    torch.testing.assert_close(info_nce(z2, z1, 0.5), base)  # symmetric in the views
    perm = torch.randperm(9, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(info_nce(z1[perm], z2[perm], 0.5), base)  # node order


def test_key_bias_constant_shift_is_noop():
    z1, z2 = _views(7, seed=8)
    shifted = info_nce(z1, z2, 0.5, key_bias=torch.full((7,), 2.5, dtype=torch.float64))
    torch.testing.assert_close(shifted, info_nce(z1, z2, 0.5))


def test_agreeing_views_have_lower_loss():
    z1, _ = _views(20, seed=9)
    noise = torch.randn(20, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert info_nce(z1, z1, 0.5) < info_nce(z1, z1 + noise, 0.5) < info_nce(z1, noise, 0.5)


def test_module_matches_functional_and_repr():
    z1, z2 = _views(8, seed=10)
    mod = InfoNCE(0.3, intra_view_negatives=False, symmetric=False, chunk_size=3)
    expected = info_nce_dense(z1, z2, 0.3, intra_view_negatives=False, symmetric=False)
    torch.testing.assert_close(mod(z1, z2), expected)
    assert "tau=0.3" in repr(mod) and "chunk_size=3" in repr(mod)


# --- errors


@pytest.mark.parametrize("tau", [0, -1.0, float("nan"), float("inf"), True, "0.5"])
def test_bad_tau(tau):
    z = torch.randn(3, 2)
    with pytest.raises(ValueError, match="tau must be"):
        info_nce(z, z, tau)
    with pytest.raises(ValueError, match="tau must be"):
        InfoNCE(tau)


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"z1 \(4, 3\) and z2 \(5, 3\)"):
        info_nce_dense(torch.randn(4, 3), torch.randn(5, 3), 0.5)
    with pytest.raises(ValueError, match=r"z1 \(4,\) and z2 \(4,\)"):
        info_nce_chunked(torch.randn(4), torch.randn(4), 0.5)
    with pytest.raises(ValueError, match=r"weights must be a tensor of shape \(4,\).*got \(3,\)"):
        info_nce_fast(torch.randn(4, 3), torch.randn(4, 3), 0.5, weights=torch.ones(3))
    with pytest.raises(ValueError, match=r"key_bias must be a tensor of shape \(4,\).*got \(4, 1\)"):
        info_nce(torch.randn(4, 3), torch.randn(4, 3), 0.5, key_bias=torch.ones(4, 1))


def test_other_argument_errors():
    z = torch.randn(4, 3)
    with pytest.raises(ValueError, match="non-negative"):
        info_nce(z, z, 0.5, weights=torch.tensor([1.0, -1.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="positive sum"):
        info_nce(z, z, 0.5, weights=torch.zeros(4))
    with pytest.raises(ValueError, match="chunk_size must be an int >= 1"):
        info_nce_chunked(z, z, 0.5, chunk_size=0)
    with pytest.raises(ValueError, match="chunk_size must be an int >= 1"):
        InfoNCE(0.5, chunk_size=2.5)
    with pytest.raises(ValueError, match="memory_budget_bytes"):
        InfoNCE(0.5, memory_budget_bytes=0)
    with pytest.raises(ValueError, match="floating dtype"):
        info_nce(torch.ones(4, 3, dtype=torch.long), torch.ones(4, 3, dtype=torch.long), 0.5)


def test_autograd_function_is_once_differentiable():
    x = torch.nn.functional.normalize(torch.randn(6, 3, dtype=torch.float64), dim=1).requires_grad_()
    lse = _ChunkedLogSumExp.apply(x, None, 3, 0.5, True, True, 2)
    (g,) = torch.autograd.grad(lse.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()
