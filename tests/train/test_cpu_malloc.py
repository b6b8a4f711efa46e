import os
import platform
import subprocess
import sys

import pytest

from gcl.train import cpu_malloc

# A fresh process runs a training-like step (18-36 MB tensors made and freed) and prints the minor page faults
# of five steps after three warm-up steps: with glibc's defaults the big blocks are mmap'ed anew each time and
# every page faults again.
STEPS = """
import resource, sys, torch
from gcl.train.cpu_malloc import keep_freed_memory
applied = keep_freed_memory() if sys.argv[1] == "keep" else False
a = torch.randn(70_000, 64)
def step():
    b = a * 2
    c = torch.cat([b, a])
    return float((c @ c[:64].T).sum())
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> tuple[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", STEPS, mode],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    ).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt settings are glibc's")
def test_kept_memory_saves_most_page_faults_of_repeated_steps():
    kept, system = page_faults("keep"), page_faults("system")
    assert kept[0] == "True" and system[0] == "False"
    assert system[1] > 5 * 36_000_000 // 4096 // 2  # the control: the defaults fault at least half the pages
    assert kept[1] * 3 < system[1]


def test_opt_out_leaves_malloc_alone(monkeypatch):
    monkeypatch.setenv("GCL_MALLOC", "system")
    monkeypatch.setattr(cpu_malloc.ctypes, "CDLL", lambda *_: pytest.fail("mallopt must not be called"))
    assert cpu_malloc.keep_freed_memory() is False


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.delenv("GCL_MALLOC", raising=False)
    monkeypatch.setattr(cpu_malloc.platform, "libc_ver", lambda: ("", ""))
    monkeypatch.setattr(cpu_malloc.ctypes, "CDLL", lambda *_: pytest.fail("mallopt must not be called"))
    assert cpu_malloc.keep_freed_memory() is False


def test_an_unknown_choice_is_named_in_the_error(monkeypatch, capsys):
    monkeypatch.setenv("GCL_MALLOC", "off")
    with pytest.raises(ValueError, match=r"GCL_MALLOC: expected 'keep' .* or 'system', got 'off'"):
        cpu_malloc.keep_freed_memory()
    from gcl.cli import main

    assert main(["rec", "recommend", "no-such-run"]) == 2
    assert "GCL_MALLOC" in capsys.readouterr().err
