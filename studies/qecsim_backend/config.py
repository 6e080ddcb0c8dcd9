"""The study config of the qecsim backend: code family, distances, error models with sweeps, decoders."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import pydantic
from pydantic import Field

from protocols.config import StrictModel, load_config
from studies.config import Distances, FitSection
from studies.qecsim_backend.codes import CodeFamily
from studies.qecsim_backend.decoders import DECODER_CODES, DecoderSpec
from studies.qecsim_backend.error_models import ErrorModelSpec

_NAME = r"^[A-Za-z][A-Za-z0-9_.-]*$"


class QecsimCodeSection(StrictModel):
    """Default code family of the study and the distances compared."""

    family: CodeFamily = "rotated_planar"
    distances: Distances = Field(default=[3, 5, 7], min_length=2, max_length=12)


class QecsimNoiseEntry(StrictModel):
    """One curve family: an error model swept over p, on a code (default: the study's), with a decoder."""

    name: str = Field(pattern=_NAME, max_length=64)
    error_model: ErrorModelSpec
    code: CodeFamily | None = Field(default=None, description="overrides the study's code family")
    decoder: DecoderSpec | None = Field(default=None, description="overrides the study's decoder")
    sweep: list[float] = Field(min_length=1, max_length=200)

    @pydantic.field_validator("sweep")
    @classmethod
    def _probabilities(cls, v: list[float]) -> list[float]:
        for x in v:
            if not math.isfinite(x) or not 0.0 < x < 0.75:
                raise ValueError(f"sweep value {x} is out of range; allowed: 0 < p < 0.75")
        if len(set(v)) != len(v):
            raise ValueError(f"sweep values must be distinct, got {v}")
        return sorted(v)


class QecsimStudyConfig(StrictModel):
    """A code-capacity threshold study run by qecsim: every entry x distance x p is one task."""

    name: str = Field(pattern=_NAME, max_length=64)
    backend: Literal["qecsim"]
    code: QecsimCodeSection = QecsimCodeSection()
    noise: list[QecsimNoiseEntry] = Field(min_length=1, max_length=32)
    decoder: DecoderSpec = DecoderSpec(name="pymatching")
    max_shots: int = Field(ge=1, le=10**9)
    max_errors: int = Field(ge=1, le=10**9)
    chunk_shots: int = Field(default=100, ge=1, le=10**6, description="shots per parallel work unit")
    seed: int = Field(default=0, ge=0)
    target_logical_error_rate: float = Field(default=1e-9, gt=0.0, lt=0.5)
    fit: FitSection = FitSection()

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> QecsimStudyConfig:
        names = [e.name for e in self.noise]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"noise names must be unique; repeated: {dup}")
        for e in self.noise:
            family = e.code or self.code.family
            dec = e.decoder or self.decoder
            if family not in DECODER_CODES[dec.name]:
                raise ValueError(f"noise entry {e.name!r}: decoder {dec.name!r} does not decode the {family} code; "
                                 f"it decodes {list(DECODER_CODES[dec.name])}")
        return self


def load_qecsim_config(path: str | Path) -> QecsimStudyConfig:
    """Load and validate a qecsim study YAML; problems are ConfigErrors naming the file and the field."""
    return load_config(path, QecsimStudyConfig)
