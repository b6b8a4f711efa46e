"""Make ``recbole`` (and the ray it pulls in) unimportable, as on a machine without the extra."""

from __future__ import annotations

import importlib.abc
import sys

BLOCKED = ("recbole", "ray")


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (blocked: RecBole extra absent)", name=fullname
            )
        return None


def block_recbole() -> None:
    """Install the blocker (idempotent) and forget any RecBole modules already imported."""
    if not any(isinstance(f, _Blocker) for f in sys.meta_path):
        sys.meta_path.insert(0, _Blocker())
    for name in [n for n in sys.modules if n.split(".")[0] in BLOCKED]:
        del sys.modules[name]
