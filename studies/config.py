"""The threshold-study config: code, distances, noise models with their sweeps, decoder, budgets, targets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import Field

from protocols.config import StrictModel, load_config
from protocols.errors import ConfigError

_NAME = r"^[A-Za-z][A-Za-z0-9_.-]*$"


def _odd_ascending(v: list[int]) -> list[int]:
    """Distances of a study: distinct, ascending, odd, 3..51."""
    for d in v:
        if d < 3 or d > 51 or d % 2 == 0:
            raise ValueError(f"distance {d} is out of range; allowed: odd integers 3..51")
    if sorted(set(v)) != v:
        raise ValueError(f"distances must be distinct and ascending, got {v}")
    return v


#: The distances a study compares (shared by every backend's config).
Distances = Annotated[list[int], pydantic.AfterValidator(_odd_ascending)]


class CodeSection(StrictModel):
    """Code family, the distances compared, and the memory basis."""

    family: Literal["rotated_surface", "repetition", "xzzx"] = "rotated_surface"
    distances: Distances = Field(default=[3, 5, 7], min_length=2, max_length=12)
    basis: Literal["X", "Z"] = "Z"
    rounds: int | None = Field(
        default=None, ge=1, le=1000, description="rounds per shot for every d; null: the noise model's rounds_for(d)"
    )


class NoiseEntry(StrictModel):
    """One noise model (inline `model` or a YAML `path`) and the values its sweep parameter takes."""

    name: str = Field(pattern=_NAME, max_length=64)
    model: dict[str, Any] | None = None
    path: str | None = None
    parameter: str | None = Field(default=None, description="swept parameter; default: the model's own")
    sweep: list[float] = Field(min_length=1, max_length=200)
    decoder: str | None = Field(default=None, description="overrides the study's decoder for this model")

    @pydantic.model_validator(mode="after")
    def _one_source(self) -> NoiseEntry:
        if (self.model is None) == (self.path is None):
            raise ValueError("give exactly one of 'model' (inline noise model) or 'path' (a noise YAML file)")
        return self

    @pydantic.field_validator("sweep")
    @classmethod
    def _finite_positive(cls, v: list[float]) -> list[float]:
        for x in v:
            if not math.isfinite(x) or x < 0:
                raise ValueError(f"sweep value {x} is out of range; allowed: finite and >= 0")
        if len(set(v)) != len(v):
            raise ValueError(f"sweep values must be distinct, got {v}")
        return sorted(v)


class FitSection(StrictModel):
    """How thresholds are fitted: rate unit, window around the crossing, bootstrap size and seed, CI level.

    The threshold is fitted per shot by default: the scaling ansatz describes a d x d x rounds space-time
    volume with rounds growing like d, and per-round normalisation moves the crossings of such curves.
    """

    rate: Literal["per_shot", "per_round"] = "per_shot"

    window: float | None = Field(default=0.5, gt=0.0, le=10.0)
    bootstrap: int = Field(default=200, ge=20, le=20000)
    seed: int = Field(default=0, ge=0)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)


class StudyConfig(StrictModel):
    """A threshold study: every noise entry is swept over every distance and decoded with `decoder`."""

    name: str = Field(pattern=_NAME, max_length=64)
    backend: Literal["stim"] = Field(default="stim", description="'qecsim' studies use studies.qecsim_backend")
    code: CodeSection = CodeSection()
    noise: list[NoiseEntry] = Field(min_length=1, max_length=32)
    decoder: str = Field(default="pymatching", min_length=1)
    max_shots: int = Field(ge=1, le=10**12)
    max_errors: int = Field(ge=1, le=10**9)
    target_logical_error_rate: float = Field(default=1e-9, gt=0.0, lt=0.5)
    rate: Literal["per_shot", "per_round"] = Field(
        default="per_round", description="unit of the reported rates, Lambda and overhead (the fit has its own)"
    )
    fit: FitSection = FitSection()

    @pydantic.field_validator("noise")
    @classmethod
    def _unique_names(cls, v: list[NoiseEntry]) -> list[NoiseEntry]:
        names = [e.name for e in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"noise names must be unique; repeated: {dup}")
        return v


def load_study_config(path: str | Path) -> StudyConfig:
    """Load and validate a study YAML; problems are ConfigErrors naming the file and the field."""
    return load_config(path, StudyConfig)


def resolve_noise_path(entry_path: str, config_path: Path, index: int) -> Path:
    """Find a noise file: relative to the study file, then the working directory, then the project root."""
    p = Path(entry_path)
    root = Path(__file__).resolve().parents[1]
    candidates = [p] if p.is_absolute() else [config_path.parent / p, Path.cwd() / p, root / p]
    for c in candidates:
        if c.is_file():
            return c
    tried = ", ".join(str(c) for c in candidates)
    raise ConfigError(f"{config_path}: noise.{index}.path: file {entry_path!r} not found (tried {tried})")


