"""The core library imports and works with RecBole absent; the integration says how to install it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import pkgutil, sys
    from tests.recbole_blocker import block_recbole
    block_recbole()
    import gcl
    for info in pkgutil.walk_packages(gcl.__path__, "gcl."):
        if not info.name.startswith("gcl.integrations.recbole"):
            __import__(info.name)
    from gcl.cli import build_parser
    build_parser()
    assert not any(m.split(".")[0] in ("recbole", "ray") for m in sys.modules), "core imported RecBole"
    try:
        import gcl.integrations.recbole
    except ImportError as exc:
        print("IMPORT-ERROR:", exc)
    """
)


def test_core_imports_without_recbole_and_the_integration_explains_the_extra():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "IMPORT-ERROR:" in done.stdout and "pip install 'gcl[recbole]'" in done.stdout
