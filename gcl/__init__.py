"""gcl: graph contrastive learning and contrastive recommendation on PyTorch Geometric.

Subpackages (import what you need; nothing heavy or optional is imported here):

* :mod:`gcl.data` -- dataset registry, data root, downloads, readers, filters and splits.
* :mod:`gcl.augment` -- graph, feature, embedding and sequence augmentations.
* :mod:`gcl.losses` -- contrastive and ranking objectives.
* :mod:`gcl.nn` -- encoders and heads.
* :mod:`gcl.node`, :mod:`gcl.rec`, :mod:`gcl.seq` -- task models, trainers and evaluation.
"""

__version__ = "0.1.0"
