"""gcl.losses: contrastive, bootstrapped, redundancy-reduction and ranking objectives.

One family per module; every loss is a mean over anchors (Barlow Twins: a sum over the ``D x D``
cross-correlation entries, as in the papers), and temperatures and weights are always parameters.

* :mod:`~gcl.losses.infonce` -- GRACE InfoNCE: reference, fast dense and memory-bounded chunked paths.
* :mod:`~gcl.losses.teamup` -- CSGCL team-up InfoNCE (community strength: :mod:`gcl.augment.community`).
* :mod:`~gcl.losses.jsd` -- DGI binary cross-entropy, Jensen-Shannon MI estimator.
* :mod:`~gcl.losses.bootstrap` -- BGRL bootstrap loss, EMA target, cosine momentum.
* :mod:`~gcl.losses.barlow` -- Barlow Twins / G-BT.
* :mod:`~gcl.losses.alignment` -- alignment, uniformity, DirectAU.
* :mod:`~gcl.losses.bpr` -- BPR, embedding L2, in-batch InfoNCE for recommendation.
"""

from gcl.losses.alignment import DirectAULoss, alignment, directau_loss, uniformity
from gcl.losses.barlow import BarlowTwinsLoss, barlow_twins_loss, cross_correlation
from gcl.losses.bootstrap import (
    BootstrapLoss,
    EMATarget,
    bootstrap_loss,
    bootstrap_loss_symmetric,
    cosine_momentum,
    update_ema,
)
from gcl.losses.bpr import BPRLoss, InBatchInfoNCE, all_keys_info_nce, bpr_loss, in_batch_info_nce, l2_reg
from gcl.losses.infonce import (
    DEFAULT_MEMORY_BUDGET_BYTES,
    InfoNCE,
    dense_bytes_estimate,
    info_nce,
    info_nce_chunked,
    info_nce_dense,
    info_nce_fast,
)
from gcl.losses.jsd import DGIBCELoss, JSDMILoss, dgi_bce, jsd_mi_loss
from gcl.losses.teamup import TeamUpInfoNCE, team_up_gamma, team_up_info_nce

__all__ = [
    "DEFAULT_MEMORY_BUDGET_BYTES",
    "BPRLoss",
    "BarlowTwinsLoss",
    "BootstrapLoss",
    "DGIBCELoss",
    "DirectAULoss",
    "EMATarget",
    "InBatchInfoNCE",
    "InfoNCE",
    "JSDMILoss",
    "TeamUpInfoNCE",
    "alignment",
    "all_keys_info_nce",
    "barlow_twins_loss",
    "bootstrap_loss",
    "bootstrap_loss_symmetric",
    "bpr_loss",
    "cosine_momentum",
    "cross_correlation",
    "dense_bytes_estimate",
    "dgi_bce",
    "directau_loss",
    "in_batch_info_nce",
    "info_nce",
    "info_nce_chunked",
    "info_nce_dense",
    "info_nce_fast",
    "jsd_mi_loss",
    "l2_reg",
    "team_up_gamma",
    "team_up_info_nce",
    "uniformity",
    "update_ema",
]
