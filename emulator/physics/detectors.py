"""Single-photon detectors: threshold and photon-number-resolving click statistics, dark counts, timing.

Efficiency eta acts as a beam splitter to a vacuum port in front of an ideal detector, so n photons are
detected as Binomial(n, eta) (Loudon, The Quantum Theory of Light, 3rd ed. 2000, on beam splitters and
photon counting; Hadfield, Nat. Photon. 3, 696 (2009)). Dark counts are Poissonian with mean R x window per
gate window.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from pydantic import Field
from scipy import stats

from protocols.config import StrictModel


def dark_count_probability(rate_hz: ArrayLike, window_s: ArrayLike) -> np.ndarray:
    """p_dark = 1 - exp(-R window): probability of at least one dark count in a gate window."""
    return -np.expm1(-np.asarray(rate_hz, dtype=np.float64) * np.asarray(window_s))


def threshold_click_probability(n: ArrayLike, efficiency: ArrayLike, p_dark: ArrayLike = 0.0) -> np.ndarray:
    """P(click | n photons) = 1 - (1 - p_dark)(1 - eta)^n of a threshold detector."""
    n = np.asarray(n, dtype=np.float64)
    return 1.0 - (1.0 - np.asarray(p_dark)) * (1.0 - np.asarray(efficiency)) ** n


def coherent_click_probability(mean_photons: ArrayLike, efficiency: ArrayLike, p_dark: ArrayLike = 0.0) -> np.ndarray:
    """P(click) = 1 - (1 - p_dark) exp(-eta |alpha|^2) for a coherent state of mean |alpha|^2."""
    m = np.asarray(mean_photons, dtype=np.float64)
    return 1.0 - (1.0 - np.asarray(p_dark)) * np.exp(-np.asarray(efficiency) * m)


def thermal_click_probability(mean_photons: ArrayLike, efficiency: ArrayLike, p_dark: ArrayLike = 0.0) -> np.ndarray:
    """P(click) = 1 - (1 - p_dark) / (1 + eta m) for a thermal state of mean m."""
    m = np.asarray(mean_photons, dtype=np.float64)
    return 1.0 - (1.0 - np.asarray(p_dark)) / (1.0 + np.asarray(efficiency) * m)


def pnr_count_distribution(
    photon_distribution: ArrayLike, efficiency: float, dark_mean: float, k_max: int
) -> np.ndarray:
    """P(k counts), k = 0..k_max, of a PNR detector: Binomial(n, eta) detections plus Poisson(dark_mean) darks.

    `photon_distribution` is P(n) over n = 0..n_max, shape (n_max + 1,) (a Fock state n is a one-hot row);
    `dark_mean` = R x window. The result is exact for k <= k_max (not renormalised), float64 shape (k_max + 1,).
    """
    p = np.asarray(photon_distribution, dtype=np.float64)
    n = np.arange(p.shape[-1])
    k = np.arange(k_max + 1)
    detected = p @ stats.binom.pmf(k[None, :], n[:, None], efficiency)
    dark = stats.poisson.pmf(k, dark_mean)
    return np.convolve(detected, dark)[: k_max + 1]


@dataclasses.dataclass(frozen=True)
class DetectorParams:
    """Plain parameters of one detector channel, as the readout kernels take them (units in the names)."""

    efficiency: float
    dark_count_rate_hz: float
    gate_window_ns: float
    dark_probability: float
    jitter_sigma_ps: float
    dead_time_ns: float
    afterpulse_probability: float
    afterpulse_delay_ns: float
    photon_number_resolving: bool


class DetectorConfig(StrictModel):
    """The detectors on every rail (all rails share one calibration)."""

    kind: Literal["threshold", "pnr"] = "threshold"
    efficiency: float = Field(gt=0.0, le=1.0, description="system detection efficiency")
    dark_count_rate_hz: float = Field(ge=0.0, le=1e8)
    gate_window_ns: float = Field(gt=0.0, le=1e6, description="acceptance window per round and rail")
    jitter_sigma_ps: float = Field(ge=0.0, le=1e6, description="Gaussian timing jitter, standard deviation")
    dead_time_ns: float = Field(ge=0.0, le=1e6)
    afterpulse_probability: float = Field(default=0.0, ge=0.0, lt=1.0, description="per detection")
    afterpulse_delay_ns: float = Field(default=0.0, ge=0.0, le=1e6, description="mean delay after re-arming")

    def dark_probability(self) -> float:
        """Probability of a dark count in one gate window."""
        return float(dark_count_probability(self.dark_count_rate_hz, self.gate_window_ns * 1e-9))

    def params(self) -> DetectorParams:
        """The frozen plain parameters for the readout stage."""
        return DetectorParams(
            efficiency=self.efficiency,
            dark_count_rate_hz=self.dark_count_rate_hz,
            gate_window_ns=self.gate_window_ns,
            dark_probability=self.dark_probability(),
            jitter_sigma_ps=self.jitter_sigma_ps,
            dead_time_ns=self.dead_time_ns,
            afterpulse_probability=self.afterpulse_probability,
            afterpulse_delay_ns=self.afterpulse_delay_ns,
            photon_number_resolving=self.kind == "pnr",
        )
