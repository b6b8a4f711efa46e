"""Read YAML configs with YAML 1.2's numbers: ``1e-6`` is a float, not the string ``'1e-6'``.

PyYAML implements YAML 1.1, whose float pattern needs a dot (``1.0e-6``), so ``reg_weight: 1e-6`` in a
config file or ``--param reg_weight=1e-6`` on the command line would arrive as a string and be refused by
the model's argument check. Every config, ``--param`` value and dataset registry in gcl is read with
:func:`load_yaml`, whose loader is PyYAML's safe loader plus YAML 1.2's float pattern (exponent without a
dot, e.g. ``1e-6``, ``5E3``, ``-2e+1``). Everything else (ints, booleans, ``.inf``, ``.nan``, strings,
dates) resolves as with ``yaml.safe_load``.
"""

from __future__ import annotations

import re
from typing import IO, Any

import yaml

__all__ = ["load_yaml"]


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also reads dotless exponent floats (YAML 1.2 core schema)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def load_yaml(source: str | bytes | IO[str] | IO[bytes]) -> Any:
    """Parse one YAML document as :func:`yaml.safe_load` does, reading ``1e-6`` as a float.

    Args:
        source: YAML text or an open file.

    Returns:
        The document (``None`` for an empty one).
    """
    return yaml.load(source, Loader=_Loader)
