"""Where dataset files live on disk.

Resolution order: an explicit ``data_dir`` argument (the CLI's ``--data-dir``), then the
``GCL_DATA_DIR`` environment variable, then a per-user cache directory
(``$XDG_CACHE_HOME/gcl/datasets``, by default ``~/.cache/gcl/datasets``).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "GCL_DATA_DIR"


def default_data_root() -> Path:
    """Return the per-user cache directory used when nothing else is configured."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "gcl" / "datasets"


def data_root(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the data root.

    Args:
        data_dir: An explicit directory; wins over the environment.

    Returns:
        The directory (not created here; downloads create it when they need it).

    Example:
        >>> data_root("/tmp/somewhere")
        PosixPath('/tmp/somewhere')
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return default_data_root()
