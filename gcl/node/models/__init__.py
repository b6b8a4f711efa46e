"""Node-level contrastive models; each takes its encoder, augmentations and objective as arguments."""

from gcl.node.models.base import NodeContrastiveModel
from gcl.node.models.bgrl import BGRL
from gcl.node.models.csgcl import CSGCL
from gcl.node.models.dgi import DGI
from gcl.node.models.grace import GRACE

__all__ = ["BGRL", "CSGCL", "DGI", "GRACE", "NodeContrastiveModel"]
