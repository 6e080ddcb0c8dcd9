"""Single-photon sources: heralded SPDC (thermal statistics) and quantum dots (efficiency, g2, indistinguishability).

Each source reports the photon-number distribution it delivers into the device per trigger. A dual-rail qubit
is carried by one photon: zero photons is a loss (heralded later by no click), two or more photons are the
multi-photon events that cause false clicks (see `emulator.physics.effective`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import Field, model_validator

from protocols.config import StrictModel
from emulator.physics.photon_statistics import binomial_loss, thermal_distribution

#: Photon numbers kept in source distributions; heavier tails are lumped into the last entry.
N_MAX = 8


def spdc_herald_probability(
    mean: ArrayLike, herald_efficiency: ArrayLike, herald_dark: ArrayLike = 0.0
) -> np.ndarray:
    """P(herald click) = 1 - (1 - p_dark) / (1 + eta_h mu) for a thermal idler of mean mu per mode.

    The idler of a two-mode squeezed vacuum is thermal, P(n) = mu^n / (1 + mu)^(n+1) (Loudon, The Quantum
    Theory of Light, 3rd ed. 2000, ch. 9); a threshold detector misses all n photons with (1 - eta_h)^n and
    has no dark count with 1 - p_dark, and sum_n P(n) x^n = 1 / (1 + mu (1 - x)).
    """
    mu = np.asarray(mean, dtype=np.float64)
    return 1.0 - (1.0 - np.asarray(herald_dark)) / (1.0 + np.asarray(herald_efficiency) * mu)


def spdc_heralded_vacuum_probability(
    mean: ArrayLike, herald_efficiency: ArrayLike, herald_dark: ArrayLike = 0.0
) -> np.ndarray:
    """P(0 signal photons | herald) = p_dark / ((1 + mu) P_herald): heralds from dark counts alone."""
    mu = np.asarray(mean, dtype=np.float64)
    return np.asarray(herald_dark) / ((1.0 + mu) * spdc_herald_probability(mu, herald_efficiency, herald_dark))


def spdc_heralded_single_photon_probability(
    mean: ArrayLike, herald_efficiency: ArrayLike, herald_dark: ArrayLike = 0.0
) -> np.ndarray:
    """P(1 signal photon | herald) = mu / (1 + mu)^2 (1 - (1 - p_dark)(1 - eta_h)) / P_herald."""
    mu = np.asarray(mean, dtype=np.float64)
    eta = np.asarray(herald_efficiency)
    click_given_one = 1.0 - (1.0 - np.asarray(herald_dark)) * (1.0 - eta)
    return mu / (1.0 + mu) ** 2 * click_given_one / spdc_herald_probability(mu, eta, herald_dark)


def spdc_heralded_multi_photon_probability(
    mean: ArrayLike, herald_efficiency: ArrayLike, herald_dark: ArrayLike = 0.0
) -> np.ndarray:
    """P(>= 2 signal photons | herald) = 1 - P(0 | herald) - P(1 | herald).

    Without herald dark counts this is mu (2 - eta_h + mu) / (1 + mu)^2 = mu (2 - eta_h) + O(mu^2).
    """
    return (
        1.0
        - spdc_heralded_vacuum_probability(mean, herald_efficiency, herald_dark)
        - spdc_heralded_single_photon_probability(mean, herald_efficiency, herald_dark)
    )


def spdc_heralded_distribution(
    mean: float, herald_efficiency: float, herald_dark: float = 0.0, n_max: int = N_MAX
) -> np.ndarray:
    """P(n signal photons | herald) for n = 0..n_max (tail lumped into n_max), float64 shape (n_max + 1,)."""
    # Truncate far beyond n_max, weight by the herald click probability given n, then lump the tail.
    n_big = max(4 * n_max, 64)
    p = thermal_distribution(mean, n_big)
    n = np.arange(n_big + 1)
    joint = p * (1.0 - (1.0 - herald_dark) * (1.0 - herald_efficiency) ** n)
    cond = joint / spdc_herald_probability(mean, herald_efficiency, herald_dark)
    out = cond[: n_max + 1].copy()
    out[n_max] += 1.0 - out.sum()
    return out


def quantum_dot_distribution(efficiency: ArrayLike, g2: ArrayLike) -> np.ndarray:
    """[P(0), P(1), P(2)] = [1 - B + g2 B^2 / 2, B - g2 B^2, g2 B^2 / 2] for mean photon number B per pulse.

    With at most two photons per pulse, g2 = 2 P(2) / B^2 exactly (B = P(1) + 2 P(2)), so this is the
    first-order multi-photon model of a source with small g2 (three-photon terms are O(g2^2)). Shape
    (..., 3) for broadcastable inputs.
    """
    b = np.asarray(efficiency, dtype=np.float64)
    g = np.asarray(g2, dtype=np.float64)
    p2 = g * b**2 / 2.0
    p1 = b - 2.0 * p2
    return np.stack(np.broadcast_arrays(1.0 - p1 - p2, p1, p2), axis=-1)


class QuantumDotSource(StrictModel):
    """A quantum-dot single-photon source, triggered at `rep_rate_hz`."""

    kind: Literal["quantum_dot"]
    efficiency: float = Field(gt=0.0, le=1.0, description="mean photons per pulse in the first fibre")
    g2: float = Field(ge=0.0, le=1.0, description="second-order autocorrelation at zero delay")
    indistinguishability: float = Field(ge=0.0, le=1.0, description="two-photon HOM visibility M")
    rep_rate_hz: float = Field(gt=0.0, le=1e11)

    @model_validator(mode="after")
    def _one_photon_dominates(self) -> QuantumDotSource:
        # P(1) = B (1 - g2 B) must stay non-negative in the two-photon model.
        if self.g2 * self.efficiency > 1.0:
            raise ValueError(f"g2 * efficiency must be <= 1 (got {self.g2} * {self.efficiency})")
        return self

    def photon_number_distribution(self) -> np.ndarray:
        """P(n) of photons delivered per trigger, n = 0..2, float64 shape (3,)."""
        return quantum_dot_distribution(self.efficiency, self.g2)


class SPDCSource(StrictModel):
    """A heralded SPDC source: thermal pair statistics, a threshold herald detector, signal coupling loss."""

    kind: Literal["spdc"]
    mean_photon_number: float = Field(gt=0.0, le=1.0, description="mu, mean pairs per mode per pulse")
    herald_efficiency: float = Field(gt=0.0, le=1.0)
    herald_dark_probability: float = Field(default=0.0, ge=0.0, lt=1.0, description="per herald window")
    signal_efficiency: float = Field(gt=0.0, le=1.0, description="coupling of the heralded photon into fibre")
    indistinguishability: float = Field(ge=0.0, le=1.0, description="HOM visibility between sources (purity)")
    rep_rate_hz: float = Field(gt=0.0, le=1e11)

    def herald_probability(self) -> float:
        """Probability per pulse that the herald detector clicks (the heralding rate over rep_rate_hz)."""
        return float(
            spdc_herald_probability(self.mean_photon_number, self.herald_efficiency, self.herald_dark_probability)
        )

    def photon_number_distribution(self) -> np.ndarray:
        """P(n) of signal photons delivered per herald, n = 0..N_MAX (tail lumped), after signal coupling."""
        p = spdc_heralded_distribution(self.mean_photon_number, self.herald_efficiency, self.herald_dark_probability)
        return binomial_loss(p, self.signal_efficiency)
