"""Policies by name, so a config chooses one: the registry maps a `kind` to its config model and class."""

from __future__ import annotations

from typing import Any

from policies.interface import Policy
from policies.rule import DensityRule, DensityRuleConfig
from protocols.config import validate
from protocols.errors import ConfigError

_REGISTRY: dict[str, tuple[type, type]] = {
    "density_rule": (DensityRuleConfig, DensityRule),
}


def build_policy(data: dict[str, Any] | None, source: str = "<policy>") -> Policy:
    """A policy from its config dict (`kind` picks the policy; default: density_rule)."""
    data = dict(data or {})
    kind = data.get("kind", "density_rule")
    if kind not in _REGISTRY:
        raise ConfigError(f"{source}: kind: unknown policy {kind!r}; known: {', '.join(sorted(_REGISTRY))}")
    config_model, cls = _REGISTRY[kind]
    return cls(validate(config_model, data, source))
