"""Optical channels: loss in dB (fibre and insertion losses) and phase noise (Gaussian, laser linewidth)."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from numpy.typing import ArrayLike
from pydantic import Field

from protocols.config import StrictModel


def loss_db(
    fibre_length_km: ArrayLike, fibre_loss_db_per_km: ArrayLike, insertion_losses_db: ArrayLike = ()
) -> np.ndarray:
    """Total loss in dB: length (km) x attenuation (dB/km) + the sum of insertion losses (dB)."""
    insertion = np.sum(np.asarray(insertion_losses_db, dtype=np.float64))
    return np.asarray(fibre_length_km, dtype=np.float64) * np.asarray(fibre_loss_db_per_km) + insertion


def transmission_from_db(db: ArrayLike) -> np.ndarray:
    """Power transmission T = 10^(-dB / 10): the probability that one photon survives (binomial loss)."""
    return 10.0 ** (-np.asarray(db, dtype=np.float64) / 10.0)


def phase_flip_probability(sigma_rad: ArrayLike) -> np.ndarray:
    """Z-error probability (1 - exp(-sigma^2 / 2)) / 2 of a Gaussian relative phase of rms sigma (radians).

    A relative phase phi between the rails maps a|0> + b|1> to a|0> + b e^{i phi}|1>; averaging over
    phi ~ N(0, sigma^2) multiplies the coherence by E[e^{i phi}] = exp(-sigma^2 / 2), which is what a Z error
    of probability p does (factor 1 - 2p).
    """
    s = np.asarray(sigma_rad, dtype=np.float64)
    return -np.expm1(-(s**2) / 2.0) / 2.0


def linewidth_phase_variance(linewidth_hz: ArrayLike, delay_s: ArrayLike) -> np.ndarray:
    """Variance 2 pi dnu tau (rad^2) of the phase difference across an interferometer of delay tau.

    Convention: `linewidth_hz` is the full width at half maximum dnu of a Lorentzian line, whose phase is a
    Wiener process (Henry, IEEE J. Quantum Electron. 18, 259 (1982); Petermann, Laser Diode Modulation and
    Noise, 1988). Its first-order coherence is |g1(tau)| = exp(-pi dnu |tau|) (Loudon, The Quantum Theory of
    Light, 3rd ed. 2000, ch. 3, with gamma = pi dnu), equal to exp(-sigma^2 / 2) with sigma^2 = 2 pi dnu tau.
    """
    return 2.0 * np.pi * np.asarray(linewidth_hz, dtype=np.float64) * np.abs(np.asarray(delay_s))


DbLoss = Annotated[float, Field(ge=0.0, le=100.0)]


class ChannelConfig(StrictModel):
    """The optical paths of a qubit's photon: once from the source, every round, once to the detectors.

    A data qubit's photon travels the per-round path (fibre delay, chip components: `fibre_*`,
    `insertion_losses_db`) once per round; a fresh photon (an ancilla) also crosses `preparation_losses_db`
    from the source to the chip, and every measured photon `readout_losses_db` from the chip to the detectors.
    """

    fibre_length_km: float = Field(ge=0.0, le=1e4, description="per round")
    fibre_loss_db_per_km: float = Field(ge=0.0, le=100.0)
    insertion_losses_db: list[DbLoss] = Field(default_factory=list, description="per round: facets, switches, ...")
    preparation_losses_db: list[DbLoss] = Field(default_factory=list, description="once, source to chip")
    readout_losses_db: list[DbLoss] = Field(default_factory=list, description="once, chip to detectors")
    phase_noise_rad: float = Field(default=0.0, ge=0.0, le=10.0, description="rms residual rail phase per round")
    laser_linewidth_hz: float = Field(default=0.0, ge=0.0, le=1e12, description="Lorentzian FWHM")
    interferometer_delay_ns: float = Field(default=0.0, ge=0.0, le=1e6, description="time-bin delay tau")

    def loss_db(self) -> float:
        """Loss in dB of the per-round path."""
        return float(loss_db(self.fibre_length_km, self.fibre_loss_db_per_km, self.insertion_losses_db))

    def transmission(self) -> float:
        """Probability that a photon survives one round's path."""
        return float(transmission_from_db(self.loss_db()))

    def measured_photon_loss_db(self) -> float:
        """Loss in dB from the source to the detectors of a fresh photon measured after one round."""
        return self.loss_db() + float(np.sum(self.preparation_losses_db) + np.sum(self.readout_losses_db))

    def measured_photon_transmission(self) -> float:
        """Probability that a fresh photon reaches the detectors after one round's path."""
        return float(transmission_from_db(self.measured_photon_loss_db()))

    def phase_variance(self) -> float:
        """Total rail phase variance (rad^2): residual phase noise plus laser linewidth over the delay."""
        return self.phase_noise_rad**2 + float(
            linewidth_phase_variance(self.laser_linewidth_hz, self.interferometer_delay_ns * 1e-9)
        )

    def phase_flip_probability(self) -> float:
        """Z-error probability per round from the total phase variance."""
        return float(phase_flip_probability(np.sqrt(self.phase_variance())))
