import platform
import subprocess
import sys

import pytest

from gcl.train import cpu_malloc

# A fresh process allocates, frees and re-allocates a 100 MB tensor and prints the minor page faults of the
# second allocation: with glibc's defaults the block is mmap'ed anew and every page faults again.
REALLOCATE = """
import resource, sys, torch
from gcl.train.cpu_malloc import keep_freed_memory
applied = keep_freed_memory() if sys.argv[1] == "keep" else False
x = torch.ones(25_000_000); del x
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
x = torch.ones(25_000_000)
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
PAGES = 100_000_000 // 4096

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt settings are glibc's")


def reallocation_faults(mode: str) -> tuple[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", REALLOCATE, mode], capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0], int(out[1])


@glibc_only
def test_kept_memory_is_reused_without_page_faults():
    applied, faults = reallocation_faults("keep")
    assert applied == "True"
    assert faults < PAGES // 10


@glibc_only
def test_system_defaults_fault_every_page_again():
    # the control: shows the test above measures the setting, not the allocation pattern
    applied, faults = reallocation_faults("system")
    assert applied == "False"
    assert faults > PAGES // 2


def test_opt_out_leaves_malloc_alone(monkeypatch):
    monkeypatch.setenv("GCL_MALLOC", "system")
    monkeypatch.setattr(cpu_malloc.ctypes, "CDLL", lambda *_: pytest.fail("mallopt must not be called"))
    assert cpu_malloc.keep_freed_memory() is False


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.delenv("GCL_MALLOC", raising=False)
    monkeypatch.setattr(cpu_malloc.platform, "libc_ver", lambda: ("", ""))
    monkeypatch.setattr(cpu_malloc.ctypes, "CDLL", lambda *_: pytest.fail("mallopt must not be called"))
    assert cpu_malloc.keep_freed_memory() is False
