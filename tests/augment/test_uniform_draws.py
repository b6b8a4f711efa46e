import os
import signal
import time

import numpy as np
import pytest
import torch

from gcl.augment import uniform_draws as module
from gcl.augment.uniform_draws import uniform_draws
from gcl.train.cpu_threads import run_in_threads


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_draws_follow_the_documented_recipe_chunk_by_chunk(monkeypatch):
    monkeypatch.setattr(module, "_CHUNK", 10)  # 25 numbers: three PCG64 streams of 10, 10 and 5
    draws = uniform_draws((5, 5), gen(3), "cpu")
    seed = int(torch.randint(0, 2**63 - 1, (1,), generator=gen(3)))
    streams = np.random.SeedSequence(seed).spawn(3)
    draw = [np.random.Generator(np.random.PCG64(s)).random for s in streams]
    parts = [d(n, dtype=np.float32) for d, n in zip(draw, (10, 10, 5))]
    expected = np.concatenate(parts)
    assert torch.equal(draws.view(-1), torch.from_numpy(expected))


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_draws_do_not_depend_on_the_thread_count(threads, monkeypatch):
    monkeypatch.setattr(module, "_CHUNK", 64)
    reference = uniform_draws((40, 33), gen(0), "cpu", torch.float64)
    monkeypatch.setattr(torch, "get_num_threads", lambda: threads)
    assert torch.equal(uniform_draws((40, 33), gen(0), "cpu", torch.float64), reference)


def test_draws_are_uniform_advance_the_generator_and_follow_the_global_seed():
    g = gen(1)
    first, second = uniform_draws((3_000_000,), g, "cpu"), uniform_draws((3_000_000,), g, "cpu")
    assert not torch.equal(first, second)  # the torch generator moved on
    assert float(first.min()) >= 0.0 and float(first.max()) < 1.0
    assert abs(float(first.mean()) - 0.5) < 1e-3 and abs(float(first.var()) - 1 / 12) < 1e-3
    counts = torch.histc(first, bins=10, min=0.0, max=1.0)
    assert float((counts / 300_000 - 1).abs().max()) < 0.01  # every tenth of [0, 1) within 1 % of n/10
    torch.manual_seed(5)
    a = uniform_draws((7,), None, "cpu")
    torch.manual_seed(5)
    assert torch.equal(uniform_draws((7,), None, "cpu"), a)
    assert uniform_draws((0, 4), g, "cpu").shape == (0, 4)


def test_other_dtypes_use_torch_rand():
    a = uniform_draws((4,), gen(2), "cpu", torch.float16)
    assert a.dtype == torch.float16
    assert torch.equal(a, torch.rand(4, generator=gen(2), dtype=torch.float16))


def test_run_in_threads_runs_every_task_and_reraises():
    out = [0] * 4
    run_in_threads([lambda i=i: out.__setitem__(i, i + 1) for i in range(4)])
    assert out == [1, 2, 3, 4]

    def fail() -> None:
        raise RuntimeError("task failed")

    with pytest.raises(RuntimeError, match="task failed"):
        run_in_threads([lambda: None, fail])
    run_in_threads([])


def test_a_forked_child_draws_with_a_fresh_pool():
    run_in_threads([lambda: None, lambda: None])  # the parent's pool exists before the fork
    expected = uniform_draws((3, 1 << 20), gen(4), "cpu")  # three chunks: the pool is used
    pid = os.fork()
    if pid == 0:  # the child: its copy of the pool has no threads; a stale pool would hang here
        draws = uniform_draws((3, 1 << 20), gen(4), "cpu").numpy()  # compared in NumPy: libgomp's threads
        os._exit(0 if np.array_equal(draws, expected.numpy()) else 1)  # do not survive a fork either
    for _ in range(600):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the forked child did not finish its draws within 60 s")
