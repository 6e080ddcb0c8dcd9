"""Noise configs: the tagged union of the models, loading from YAML, and validated copies for sweeps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from protocols.config import read_yaml, validate
from protocols.errors import ConfigError
from protocols.noise.circuit_depolarizing import CircuitDepolarizingNoise
from protocols.noise.code_capacity import CodeCapacityNoise
from protocols.noise.erasure import ErasureNoise
from protocols.noise.mixture import MixtureNoise
from protocols.noise.phenomenological import PhenomenologicalNoise
from protocols.noise.photonic import PhotonicNoise

#: Any noise model, told apart by its `kind` field (usable as a field type in other configs).
NoiseConfig = Annotated[
    CodeCapacityNoise
    | PhenomenologicalNoise
    | CircuitDepolarizingNoise
    | ErasureNoise
    | PhotonicNoise
    | MixtureNoise,
    Field(discriminator="kind"),
]

#: Model class per `kind`.
NOISE_MODELS: dict[str, type] = {
    m.model_fields["kind"].default: m
    for m in (
        CodeCapacityNoise, PhenomenologicalNoise, CircuitDepolarizingNoise, ErasureNoise, PhotonicNoise, MixtureNoise
    )
}


def parse_noise(data: Any, source: str = "<noise config>") -> NoiseConfig:
    """Validate parsed config data into its noise model; errors name `source`, the field and the allowed range."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a noise config must be a mapping with a 'kind' key (got {type(data).__name__})")
    kinds = ", ".join(sorted(NOISE_MODELS))
    if "kind" not in data:
        raise ConfigError(f"{source}: kind: missing; allowed: {kinds}")
    model = NOISE_MODELS.get(data["kind"]) if isinstance(data["kind"], str) else None
    if model is None:
        raise ConfigError(f"{source}: kind: unknown noise model {data['kind']!r}; allowed: {kinds}")
    # Validating against the one model (not the union) keeps error locations free of the union tag.
    return validate(model, data, source)


def load_noise(path: str | Path) -> NoiseConfig:
    """Load one noise model from a YAML file."""
    return parse_noise(read_yaml(path), str(path))


def with_parameter(model: NoiseConfig, name: str, value: Any) -> NoiseConfig:
    """A validated copy of `model` with parameter `name` (dotted for nested fields, e.g. "fractions.erasure") set."""
    data = model.model_dump()
    *parents, leaf = name.split(".")
    node = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            break
    if name == "kind" or not isinstance(node, dict) or leaf not in node:
        allowed = ", ".join(k for k in data if k != "kind")
        raise ConfigError(f"{model.kind}: unknown parameter {name!r}; parameters: {allowed}")
    node[leaf] = value
    return parse_noise(data, f"{model.kind} with {name}={value!r}")
