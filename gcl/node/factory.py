"""Build node-level models from experiment configs (a name -> builder table, no ``eval``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn
from torch_geometric.data import Data
from torch_geometric.transforms import NormalizeFeatures

from gcl.augment import transforms as T
from gcl.augment.compose import Compose
from gcl.errors import UnknownNameError
from gcl.losses import InfoNCE, TeamUpInfoNCE, bootstrap_loss, dgi_bce
from gcl.nn import GCNEncoder, ProjectionHead
from gcl.node.models import BGRL, CSGCL, DGI, GRACE, NodeContrastiveModel

#: View-spec keys -> augmentation transforms. A value is the probability or a dict of arguments.
AUGMENTATIONS: dict[str, Callable[..., Any]] = {
    "drop_edge": T.DropEdge,
    "mask_feature": T.MaskFeature,
    "drop_node": T.DropNode,
    "add_edge": T.AddEdge,
    "random_walk": T.RandomWalkSubgraph,
    "adaptive_drop_edge": T.AdaptiveDropEdge,
    "adaptive_mask_feature": T.AdaptiveMaskFeature,
    "communal_drop_edge": T.CommunalDropEdge,
    "communal_attribute_voting": T.CommunalAttributeVoting,
}


def build_view(spec: dict[str, Any]) -> Compose:
    """Build a view from a spec.

    ``{"drop_edge": 0.2, "mask_feature": {"p": 0.3}}`` -> ``Compose([DropEdge(0.2), MaskFeature(0.3)])``.
    """
    steps = []
    for key, value in spec.items():
        if key not in AUGMENTATIONS:
            raise UnknownNameError(
                f"unknown augmentation {key!r} in a view; expected one of {sorted(AUGMENTATIONS)}"
            )
        kwargs = value if isinstance(value, dict) else {"p": value}
        steps.append(AUGMENTATIONS[key](**kwargs))
    return Compose(steps)


def prepare_data(data: Data, config: dict[str, Any]) -> Data:
    """Optionally row-normalize features, then store very sparse ones as a sparse COO tensor.

    Config fields:

    * ``normalize_features`` (default ``false``): divide each row by its sum with PyG's
      ``T.NormalizeFeatures`` -- GRACE's and GCA's reference code load Planetoid with this transform.
    * ``features: auto|sparse|dense``: Cora/CiteSeer bag-of-words are about 99 % zeros; a sparse
      ``x @ W`` is several times faster and gives the same numbers.
    """
    mode = config.get("features", "auto")
    if mode not in ("auto", "sparse", "dense"):
        raise ValueError(f"config field 'features' must be auto, sparse or dense, got {mode!r}")
    normalize = config.get("normalize_features", False)
    if not isinstance(normalize, bool):
        raise ValueError(f"config field 'normalize_features' must be true or false, got {normalize!r}")
    if normalize:
        data = NormalizeFeatures()(data.clone())
    x = data.x
    density = float((x != 0).float().mean()) if not x.is_sparse else 0.0
    if mode == "sparse" or (mode == "auto" and density < 0.05):
        data = data.clone()
        data.x = x.to_sparse_coo().coalesce() if not x.is_sparse else x
    return data


def _encoder(config: dict[str, Any], in_channels: int) -> GCNEncoder:
    enc = config.get("encoder", {})
    return GCNEncoder(
        in_channels,
        enc.get("hidden", 128),
        num_layers=enc.get("layers", 2),
        hidden_channels=enc.get("hidden_layer"),
        activation=enc.get("activation", "relu"),
        batch_norm=enc.get("batch_norm", False),
        shared_activation=enc.get("shared_activation", False),
    )


def _grace_like(config: dict[str, Any], data: Data, cls: type[GRACE] = GRACE, **extra: Any) -> GRACE:
    encoder = _encoder(config, data.num_features)
    proj = config.get("projector", {})
    out = encoder.out_channels
    projector = ProjectionHead(
        out, proj.get("hidden", out), proj.get("out", out), activation=proj.get("activation", "elu")
    )
    views = config.get("views")
    if not views or len(views) != 2:
        raise ValueError(f"config {config['name']!r}: 'views' must list two view specs")
    loss_cfg = config.get("loss", {})
    loss = InfoNCE(
        tau=loss_cfg.get("tau", 0.5), intra_view_negatives=loss_cfg.get("intra_view_negatives", True)
    )
    return cls(encoder, projector, build_view(views[0]), build_view(views[1]), loss, **extra)


def _dgi(config: dict[str, Any], data: Data) -> DGI:
    encoder = _encoder(config, data.num_features)
    return DGI(encoder, encoder.out_channels, dgi_bce)


def _bgrl(config: dict[str, Any], data: Data) -> BGRL:
    encoder = _encoder(config, data.num_features)
    hidden = encoder.out_channels
    pred = config.get("predictor", {})
    predictor = ProjectionHead(hidden, pred.get("hidden", 512), hidden, activation="prelu", batch_norm=True)
    views = config["views"]
    return BGRL(
        encoder,
        predictor,
        build_view(views[0]),
        build_view(views[1]),
        bootstrap_loss,
        base_momentum=config.get("momentum", 0.99),
    )


def _csgcl(config: dict[str, Any], data: Data) -> CSGCL:
    model = _grace_like(config, data, CSGCL, community_seed=config.get("community_seed", 0))
    loss_cfg = config.get("loss", {})
    model.loss = TeamUpInfoNCE(
        tau=loss_cfg.get("tau", 0.5),
        t0=loss_cfg.get("t0", 0),
        gamma_max=loss_cfg.get("gamma_max", 1.0),
        ramp_epochs=loss_cfg.get("ramp_epochs", 100.0),
    )
    return model


MODELS: dict[str, Callable[[dict[str, Any], Data], NodeContrastiveModel]] = {
    "grace": _grace_like,
    "gca": _grace_like,  # GCA = GRACE with adaptive_* augmentations in its views
    "csgcl": _csgcl,
    "dgi": _dgi,
    "bgrl": _bgrl,
}


def build_model(config: dict[str, Any], data: Data) -> NodeContrastiveModel:
    """Build the model a config names (``grace``, ``gca``, ``csgcl``, ``dgi``, ``bgrl``)."""
    name = str(config["model"]).lower()
    if name not in MODELS:
        raise UnknownNameError(f"unknown node model {config['model']!r}; expected one of {sorted(MODELS)}")
    model = MODELS[name](config, data)
    if not isinstance(model, nn.Module):  # pragma: no cover - builders are ours
        raise TypeError(name)
    return model


__all__ = ["AUGMENTATIONS", "MODELS", "build_model", "build_view", "prepare_data"]
