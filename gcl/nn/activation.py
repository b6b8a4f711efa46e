"""Activation lookup by name, for configs."""

from __future__ import annotations

from torch import nn

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "prelu": nn.PReLU,
    "elu": nn.ELU,
    "rrelu": nn.RReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "identity": nn.Identity,
}


def make_activation(name: str | nn.Module, num_parameters: int = 1) -> nn.Module:
    """Return a fresh activation module for ``name`` (``relu``, ``prelu``, ``elu``, ...).

    Args:
        name: A registered name or a module (returned as is).
        num_parameters: For ``prelu``, the number of learnable slopes (1 or the width).
    """
    if isinstance(name, nn.Module):
        return name
    key = name.lower()
    if key not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(_ACTIVATIONS)}")
    if key == "prelu":
        return nn.PReLU(num_parameters)
    return _ACTIVATIONS[key]()
