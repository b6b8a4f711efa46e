"""RecBole interoperability: our recommenders in RecBole's pipeline, RecBole datasets in ours.

Needs the optional extra: ``pip install 'gcl[recbole]'`` (RecBole 1.2.1, made to work with NumPy 2,
pandas 3, SciPy >= 1.14 and torch >= 2.6 by :mod:`gcl.integrations.recbole.compat`, applied on import).
Nothing else in :mod:`gcl` imports this package.

* Models (RecBole ``GeneralRecommender`` / ``SequentialRecommender`` classes): :class:`GclLightGCN`,
  :class:`GclSGL`, :class:`GclSimGCL`, :class:`GclXSimGCL`, :class:`GclCL4SRec`, :class:`GclDuoRec`.
* :func:`run_recbole_model` -- RecBole's quick start for a model class.
* :func:`split_from_recbole` / :func:`load_recbole_split` -- RecBole's split as our
  :class:`~gcl.data.interactions.InteractionSplit`.
"""

from __future__ import annotations

try:
    import recbole  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised by the no-RecBole test in a subprocess
    raise ImportError(
        "gcl.integrations.recbole needs RecBole: pip install 'gcl[recbole]' (RecBole 1.2.1 and setuptools<81)"
    ) from exc

from gcl.integrations.recbole.compat import apply as _apply_compat

_apply_compat()

from gcl.integrations.recbole.data import (  # noqa: E402
    interactions_from_recbole,
    load_recbole_split,
    split_from_recbole,
)
from gcl.integrations.recbole.general import GclLightGCN, GclSGL, GclSimGCL, GclXSimGCL  # noqa: E402
from gcl.integrations.recbole.run import run_recbole_model  # noqa: E402
from gcl.integrations.recbole.sequential import GclCL4SRec, GclDuoRec  # noqa: E402

__all__ = [
    "GclCL4SRec",
    "GclDuoRec",
    "GclLightGCN",
    "GclSGL",
    "GclSimGCL",
    "GclXSimGCL",
    "interactions_from_recbole",
    "load_recbole_split",
    "run_recbole_model",
    "split_from_recbole",
]
