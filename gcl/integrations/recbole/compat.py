"""Make RecBole 1.2.1 run with NumPy 2, SciPy >= 1.14, pandas 3 and torch >= 2.6, touching only RecBole.

RecBole 1.2.1 (the last release) predates these versions and breaks in five places. Each shim below is
scoped to RecBole's own modules -- numpy, scipy, pandas, torch and ray themselves are never modified --
and each has a test in ``tests/integrations/test_recbole_compat.py``:

1. **NumPy aliases.** ``Config.compatibility_settings`` assigns ``np.float = np.float_`` (and
   ``np.unicode_``, ``np.complex_``), removed in NumPy 2, onto the global numpy module, and RecBole's
   code reads ``np.float``/``np.long``. We replace that method with a no-op and give every ``recbole.*``
   module a *view* of numpy (:class:`_NumpyView`) that has the old aliases; the real module is untouched.
2. **ray at import.** ``recbole.quick_start`` imports ``ray.tune``, whose import reads ``np.bool8``
   (NumPy 2: gone) and needs ``pkg_resources`` (setuptools < 81, declared by our ``recbole`` extra).
   :func:`import_quick_start` provides ``np.bool8`` for the duration of that one import and removes it.
3. **SciPy ``dok_matrix._update``.** LightGCN, NGCF, NCL and friends build their adjacency with the
   private ``dok_matrix._update(dict)``, removed from SciPy. Their modules get a view of
   ``scipy.sparse`` whose ``dok_matrix`` has ``_update`` as one vectorized indexed assignment.
4. **``torch.load``** defaults to ``weights_only=True`` since torch 2.6, so RecBole cannot reload the
   checkpoints it writes itself (they pickle its ``Config``). RecBole's trainer and quick start get a
   view of torch whose ``load`` defaults to ``weights_only=False``: only RecBole's own checkpoint
   files pass through it.
5. **pandas 3 copy-on-write.** ``Dataset._fill_nan`` calls ``feat[field].fillna(..., inplace=True)``,
   which under copy-on-write fills a temporary copy and leaves the NaN in the frame: missing ratings
   silently stay NaN. We replace the method with one that assigns the filled column back, with
   RecBole's documented semantics (tokens -> 0 ``[PAD]``, floats -> the column mean, sequences -> empty).

Apply everything with :func:`apply` (idempotent; :mod:`gcl.integrations.recbole` calls it on import).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

__all__ = ["NUMPY_ALIASES", "apply", "import_quick_start"]

#: Names RecBole 1.2.1 (and the ray it imports) read from numpy that NumPy 2 removed.
NUMPY_ALIASES: dict[str, Any] = {
    "bool": np.bool_,
    "bool8": np.bool_,
    "int": np.int_,
    "long": np.int_,
    "float": np.float64,
    "float_": np.float64,
    "complex": np.complex128,
    "complex_": np.complex128,
    "object": np.object_,
    "str": np.str_,
    "unicode": np.str_,
    "unicode_": np.str_,
}

# RecBole modules whose import pulls in the rest of the package (models, data, trainers, evaluators).
_ENTRY_MODULES = (
    "recbole.config",
    "recbole.data",
    "recbole.data.dataset",
    "recbole.model.general_recommender",
    "recbole.model.sequential_recommender",
    "recbole.trainer",
    "recbole.evaluator",
    "recbole.utils",
)

# RecBole modules that reload RecBole's own checkpoints with torch.load.
_TORCH_LOAD_MODULES = frozenset({"recbole.trainer.trainer", "recbole.quick_start.quick_start"})


class _ModuleView(types.ModuleType):
    """A stand-in for a module inside RecBole's namespaces: extra attributes first, then the real module."""

    def __init__(self, real: types.ModuleType, extra: dict[str, Any]) -> None:
        super().__init__(real.__name__, real.__doc__)
        self.__dict__.update(extra)
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _NumpyView(_ModuleView):
    """numpy plus the aliases of :data:`NUMPY_ALIASES`, for RecBole's modules only."""


class _DokMatrix(sp.dok_matrix):
    """``scipy.sparse.dok_matrix`` with the ``_update(dict)`` that RecBole's graph models call."""

    def _update(self, entries: dict[tuple[int, int], Any]) -> None:
        if not entries:
            return
        keys = np.array(list(entries.keys()), dtype=np.int64).reshape(-1, 2)
        self[keys[:, 0], keys[:, 1]] = np.fromiter(entries.values(), dtype=self.dtype, count=len(entries))


def _torch_load(*args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("weights_only", False)  # RecBole's own checkpoints pickle its Config
    return torch.load(*args, **kwargs)


def _fill_nan(self: Any) -> None:
    """RecBole's ``Dataset._fill_nan`` with the filled columns assigned back (pandas copy-on-write)."""
    from recbole.utils import FeatureType

    for feat_name in self.feat_name_list:
        feat = getattr(self, feat_name)
        for field in feat:
            ftype = self.field2type[field]
            column = feat[field]
            if ftype == FeatureType.TOKEN:
                feat[field] = column.fillna(value=0)
            elif ftype == FeatureType.FLOAT:
                feat[field] = column.fillna(value=column.mean())
            else:
                empty = np.array([], dtype=np.int64 if ftype == FeatureType.TOKEN_SEQ else np.float64)
                feat[field] = column.apply(lambda x, empty=empty: empty.copy() if isinstance(x, float) else x)


def import_quick_start() -> types.ModuleType:
    """Import ``recbole.quick_start`` (and ray), giving numpy ``bool8`` for that import only.

    Raises:
        ImportError: ray or ``pkg_resources`` missing (install ``gcl[recbole]``, which pins setuptools < 81).
    """
    if "recbole.quick_start" in sys.modules:
        return sys.modules["recbole.quick_start"]
    added = not hasattr(np, "bool8")
    if added:
        np.bool8 = np.bool_  # ray.tune evaluates np.bool8 while it is imported
    try:
        module = importlib.import_module("recbole.quick_start")
    except ModuleNotFoundError as exc:
        if exc.name == "pkg_resources":
            raise ImportError(
                "recbole.quick_start imports ray, which needs pkg_resources: install setuptools<81 "
                "(pip install 'gcl[recbole]' does)"
            ) from exc
        raise
    finally:
        if added:
            del np.bool8
    _patch_loaded_modules()
    return module


def _patch_loaded_modules() -> None:
    numpy_view = _NumpyView(np, NUMPY_ALIASES)
    sparse_view = _ModuleView(sp, {"dok_matrix": _DokMatrix})
    torch_view = _ModuleView(torch, {"load": _torch_load})
    for name, module in list(sys.modules.items()):
        if not (name == "recbole" or name.startswith("recbole.")) or module is None:
            continue
        namespace = vars(module)
        for key, value in list(namespace.items()):
            if value is np:
                namespace[key] = numpy_view
            elif value is sp:
                namespace[key] = sparse_view
            elif value is torch and name in _TORCH_LOAD_MODULES:
                namespace[key] = torch_view


_applied = False


def apply() -> None:
    """Import RecBole's packages and install the five shims (idempotent)."""
    global _applied
    if _applied:
        return
    for name in _ENTRY_MODULES:
        importlib.import_module(name)
    from recbole.config import Config
    from recbole.data.dataset import Dataset

    Config.compatibility_settings = lambda self: None  # shim 1: never write aliases onto numpy
    Dataset._fill_nan = _fill_nan  # shim 5
    _patch_loaded_modules()  # shims 1, 3, 4
    _applied = True
