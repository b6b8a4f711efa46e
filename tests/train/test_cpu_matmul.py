import pytest
import torch
from threadpoolctl import threadpool_info

from gcl.train.cpu_matmul import matmul_into, numpy_matmul_enabled


@pytest.mark.parametrize("rows", [1, 63, 64, 129, 1000])
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matmul_into_equals_the_product_for_every_row_split(rows, threads, dtype, monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: threads)  # the split follows torch's thread count
    gen = torch.Generator().manual_seed(rows)
    a = torch.randint(-8, 8, (rows, 17), generator=gen).to(dtype)  # small integers: exact in any order
    b = torch.randint(-8, 8, (17, 33), generator=gen).to(dtype)
    out = torch.full((rows, 33), float("nan"), dtype=dtype)
    assert matmul_into(a, b, out) is out
    assert torch.equal(out, a @ b)


def test_matmul_into_float_products_match_torch_mm_to_rounding():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(300, 64, generator=gen), torch.randn(64, 500, generator=gen)
    torch.testing.assert_close(matmul_into(a, b, torch.empty(300, 500)), torch.mm(a, b), rtol=1e-5, atol=1e-5)


def test_matmul_into_leaves_blas_threads_as_they_were():
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    matmul_into(torch.ones(256, 8), torch.ones(8, 4), torch.empty(256, 4))
    assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] == before


def test_torch_fallbacks_and_errors(monkeypatch):
    a, b = torch.ones(2, 3, requires_grad=True), torch.ones(3, 4)
    with pytest.raises(RuntimeError):  # autograd inputs go to torch.mm, which refuses out= with grad
        matmul_into(a, b, torch.empty(2, 4))
    out = torch.empty(2, 4, dtype=torch.float16)
    assert torch.equal(matmul_into(a.detach().half(), b.half(), out), torch.full((2, 4), 3.0).half())
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) @ \(2, 4\) -> \(2, 4\)"):
        matmul_into(torch.ones(2, 3), torch.ones(2, 4), torch.empty(2, 4))
    monkeypatch.setenv("GCL_CPU_MATMUL", "torch")
    assert not numpy_matmul_enabled()
    out = matmul_into(torch.ones(2, 3), torch.ones(3, 4), torch.empty(2, 4))
    assert torch.equal(out, torch.full((2, 4), 3.0))
    monkeypatch.setenv("GCL_CPU_MATMUL", "mkl")
    with pytest.raises(ValueError, match="GCL_CPU_MATMUL: expected 'numpy' or 'torch', got 'mkl'"):
        matmul_into(torch.ones(2, 3), torch.ones(3, 4), torch.empty(2, 4))
