"""The bosonic-study config: cat and GKP single-mode tables, the hybrid-code sweeps, budgets and overhead targets."""

from __future__ import annotations

import math
from pathlib import Path

import pydantic
from pydantic import Field

from protocols.config import StrictModel, load_config
from studies.config import FitSection

__all__ = [
    "BiasEntry",
    "BosonicStudyConfig",
    "CatRepetitionSection",
    "CatSection",
    "DualRailSection",
    "GkpSection",
    "SurfaceGkpSection",
    "SweepSection",
    "XzzxSection",
    "load_bosonic_config",
]


def _distances(v: list[int], minimum: int = 3, odd: bool = True) -> list[int]:
    for d in v:
        if d < minimum or d > 31 or (odd and d % 2 == 0):
            raise ValueError(f"distance {d} is out of range; allowed: {'odd ' if odd else ''}integers {minimum}..31")
    if sorted(set(v)) != v:
        raise ValueError(f"distances must be distinct and ascending, got {v}")
    return v


def _sweep(v: list[float]) -> list[float]:
    if any(not math.isfinite(x) for x in v) or len(set(v)) != len(v):
        raise ValueError(f"sweep values must be finite and distinct, got {v}")
    return sorted(v)


def _sigmas(v: list[float]) -> list[float]:
    for x in v:
        if not 0.05 <= x <= 1.5:
            raise ValueError(f"sigma {x} is out of range; allowed: 0.05..1.5 (vacuum variance 1/2 units)")
    return _sweep(v)


def _probs(v: list[float]) -> list[float]:
    for x in v:
        if not 0.0 < x <= 0.75:
            raise ValueError(f"p {x} is out of range; allowed: (0, 0.75]")
    return _sweep(v)


Distances = list[int]
Sweep = list[float]


class SweepSection(StrictModel):
    """Fields every swept section shares: its own shot budget and fit window (null: the study's)."""

    max_shots: int | None = Field(default=None, ge=1, le=10**10, description="overrides the study's max_shots")
    max_errors: int | None = Field(default=None, ge=1, le=10**8, description="overrides the study's max_errors")
    fit_window: float | None = Field(default=None, gt=0.0, le=10.0, description="overrides fit.window")


class CatSection(StrictModel):
    """Stabilised cat mode: noise (units of kappa_2) and the |alpha|^2 grid of the flip-rate table."""

    kappa_1: float = Field(default=1e-3, gt=0.0, le=0.1)
    n_th: float = Field(default=0.0, ge=0.0, le=1.0)
    kappa_phi: float = Field(default=0.0, ge=0.0, le=0.1)
    alpha2: Sweep = Field(default=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0], min_length=2, max_length=40)

    _sorted = pydantic.field_validator("alpha2")(classmethod(lambda cls, v: _sweep(v)))


class GkpSection(StrictModel):
    """Single-mode GKP table: squeezing values in dB (convention of `emulator.physics.bosonic.gkp`)."""

    squeezing_db: Sweep = Field(default=[0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0], min_length=2, max_length=60)

    _sorted = pydantic.field_validator("squeezing_db")(classmethod(lambda cls, v: _sweep(v)))


class SurfaceGkpSection(SweepSection):
    """Surface-GKP code capacity: distances, the sigma sweep, and the operating sigma for the overhead."""

    distances: Distances = Field(default=[5, 9, 13], min_length=2, max_length=8)
    sigma: Sweep = Field(min_length=3, max_length=60)
    operating_sigma: list[float] = Field(default=[0.45], min_length=1, max_length=8)

    _d = pydantic.field_validator("distances")(classmethod(lambda cls, v: _distances(v)))
    _s = pydantic.field_validator("sigma", "operating_sigma")(classmethod(lambda cls, v: _sigmas(v)))


class BiasEntry(StrictModel):
    """One noise bias eta = p_Z / (p_X + p_Y) and the total error probabilities p swept at it."""

    eta: float = Field(gt=0.0, le=1e6)
    p: Sweep = Field(min_length=3, max_length=60)
    css_p: Sweep | None = Field(default=None, description="sweep of the CSS comparison; default: p")

    _p = pydantic.field_validator("p", "css_p")(classmethod(lambda cls, v: v if v is None else _probs(v)))


class XzzxSection(SweepSection):
    """XZZX (and CSS comparison) under biased Pauli noise: noise model, distances, biases."""

    model: str = Field(default="code_capacity", pattern="^(code_capacity|phenomenological)$")
    distances: Distances = Field(default=[5, 9, 13], min_length=2, max_length=8)
    biases: list[BiasEntry] = Field(min_length=1, max_length=12)
    compare_css: bool = True


class CatRepetitionSection(SweepSection):
    """Repetition code of cat qubits (phase-flip code), phenomenological noise from the cat channel.

    Thresholds: kappa_1 (units of kappa_2) swept at each |alpha|^2 of `threshold_alpha2`. Logical error against
    |alpha|^2 and the overhead: `alpha2` swept at `operating_kappa_1`.
    """

    distances: Distances = Field(default=[3, 5, 7], min_length=2, max_length=8)
    round_time: float = Field(default=5.0, gt=0.0, le=1e3, description="one syndrome round, units of 1/kappa_2")
    threshold_alpha2: Sweep = Field(default=[2.0, 4.0, 8.0], min_length=1, max_length=12)
    kappa_1: Sweep = Field(min_length=3, max_length=40)
    alpha2: Sweep = Field(min_length=2, max_length=40)
    operating_kappa_1: float = Field(default=1e-2, gt=0.0, le=0.1)

    _d = pydantic.field_validator("distances")(classmethod(lambda cls, v: _distances(v, minimum=3, odd=False)))
    _k = pydantic.field_validator("kappa_1", "alpha2", "threshold_alpha2")(classmethod(lambda cls, v: _sweep(v)))


class DualRailSection(SweepSection):
    """Dual-rail surface code: photon loss per round in dB as heralded erasure, decoded with and without heralds.

    `loss_db` maps each decoder ("qc-erasure" uses the heralds, "qc-matching" ignores them) to its loss sweep.
    """

    distances: Distances = Field(default=[3, 5, 7], min_length=2, max_length=8)
    loss_db: dict[str, Sweep] = Field(min_length=1, max_length=2)
    operating_loss_db: list[float] = Field(default=[0.2], min_length=1, max_length=8)

    _d = pydantic.field_validator("distances")(classmethod(lambda cls, v: _distances(v)))

    @pydantic.field_validator("loss_db")
    @classmethod
    def _known(cls, v: dict[str, list[float]]) -> dict[str, list[float]]:
        bad = [x for x in v if x not in ("qc-erasure", "qc-matching")]
        if bad:
            raise ValueError(f"unknown dual-rail decoder(s) {bad}; allowed: 'qc-erasure', 'qc-matching'")
        return {k: _losses(x) for k, x in v.items()}

    _o = pydantic.field_validator("operating_loss_db")(classmethod(lambda cls, v: _losses(v)))


def _losses(v: list[float]) -> list[float]:
    for x in v:
        if not 0.0 < x <= 10.0:
            raise ValueError(f"loss {x} dB per round is out of range; allowed: (0, 10]")
    return _sweep(v)


class BosonicStudyConfig(StrictModel):
    """The bosonic and hybrid-code study; a section left out (null) is skipped."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)
    max_shots: int = Field(ge=1, le=10**10)
    max_errors: int = Field(ge=1, le=10**8)
    target_logical_error_rate: float = Field(default=1e-6, gt=0.0, lt=0.5)
    num_workers: int | None = Field(default=None, ge=1, le=256)
    fit: FitSection = FitSection()
    cat: CatSection = CatSection()
    gkp: GkpSection = GkpSection()
    surface_gkp: SurfaceGkpSection | None = None
    xzzx: XzzxSection | None = None
    cat_repetition: CatRepetitionSection | None = None
    dual_rail: DualRailSection | None = None


def load_bosonic_config(path: str | Path) -> BosonicStudyConfig:
    """Load and validate a bosonic-study YAML; problems are ConfigErrors naming the file and the field."""
    return load_config(path, BosonicStudyConfig)
