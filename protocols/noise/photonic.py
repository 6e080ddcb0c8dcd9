"""Dual-rail photonic noise in physical units, reduced to the effective channel of each round.

A dual-rail qubit is one photon in one of two modes (rails); it is read out by one threshold detector per
rail, each opened for a gate window per measurement. The reduction, per qubit and per round:

Loss. Transmission per round is T = 10^(-loss_db / 10). A lost photon leaves the qubit subspace; the
readout sees no photon, so the event is heralded: erasure = 1 - T (on data qubits, at round start).

Phase noise. A random relative phase phi ~ N(0, sigma^2) between the rails acts as exp(-i phi Z / 2).
Averaged over phi this is dephasing with p_Z = (1 - E[cos phi]) / 2 = (1 - exp(-sigma^2 / 2)) / 2.

Gates. An entangling gate errs with probability gate_error, taken as two-qubit depolarizing.

Detectors. Each detector registers a photon that reaches it with efficiency eta, and a dark count in its
window with p_d = 1 - exp(-rate * window) (Poisson dark counts). For the measured qubit, with the photon in
one rail:
  - photon detected (probability eta):
      empty rail dark    -> both rails click: ambiguous, flagged          eta * p_d
      empty rail quiet   -> correct outcome                               eta * (1 - p_d)
  - photon missed (probability 1 - eta):
      no rail clicks     -> no click: flagged as lost                     (1 - eta) (1 - p_d)^2
      both rails dark    -> both click: flagged                           (1 - eta) p_d^2
      exactly one dark   -> one valid-looking click on a random rail      2 (1 - eta) p_d (1 - p_d)
The flagged outcomes carry no information on the qubit: a heralded measurement erasure with probability
    E = (1 - eta)(1 - p_d)^2 + (1 - eta) p_d^2 + eta p_d.
A single dark click on a random rail is wrong half the time and unflagged: an unheralded flip with
    F = (1 - eta) p_d (1 - p_d).
The circuit applies HERALDED_ERASE(E) and then an independent flip f, whose unheralded part is (1 - E) f;
matching F gives measurement_flip = f = F / (1 - E) = (1 - eta) p_d / (eta + 2 p_d (1 - eta)).

Neglected here (both second order at present-day values): a photon lost in the channel whose readout shows a
single dark click is an unheralded, not a heralded, erasure (probability (1 - T) 2 p_d (1 - p_d), about 4e-9
with the shipped config); ancilla photons are charged only detector, not channel, loss.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field

from protocols.codes.hooks import NoiseHooks
from protocols.noise.channel import EffectiveChannel
from protocols.noise.model import NoiseModel, probability


def transmission(loss_db: float) -> float:
    """Power transmission 10^(-loss_db/10) of a loss in dB."""
    return 10.0 ** (-loss_db / 10.0)


def dephasing_probability(phase_sigma_rad: float) -> float:
    """Z-error probability (1 - exp(-sigma^2/2)) / 2 of a Gaussian relative phase with std sigma (rad)."""
    return 0.5 * (1.0 - math.exp(-0.5 * phase_sigma_rad**2))


def dark_count_probability(rate_hz: float, window_ns: float) -> float:
    """Probability 1 - exp(-rate * window) of at least one Poisson dark count in a detector window."""
    return -math.expm1(-rate_hz * window_ns * 1e-9)


def dual_rail_readout(efficiency: float, p_dark: float) -> tuple[float, float]:
    """(heralded erasure E, unheralded flip F) of a dual-rail measurement; see the module docstring."""
    eta, d = efficiency, p_dark
    erasure = (1 - eta) * (1 - d) ** 2 + (1 - eta) * d**2 + eta * d
    flip = (1 - eta) * d * (1 - d)
    return erasure, flip


class PhotonicNoise(NoiseModel):
    """Dual-rail photonic hardware in physical units; `effective_channel` gives its per-round channel.

    The reduction (loss -> heralded erasure, phase noise -> Z, dark counts and efficiency -> heralded
    measurement erasure and flips) is derived in this module's docstring.
    """

    sweep_parameter: ClassVar[str] = "loss_db"

    kind: Literal["photonic"] = "photonic"
    loss_db: float = Field(ge=0.0, allow_inf_nan=False, description="Optical loss per qubit per round, in dB.")
    phase_sigma_rad: float = Field(
        ge=0.0, allow_inf_nan=False, description="Std of the Gaussian rail-to-rail phase per round, in rad."
    )
    gate_error: float = probability("Error probability of an entangling gate (two-qubit depolarizing).")
    detector_efficiency: float = probability("Probability that a detector registers a photon reaching it.")
    dark_count_rate_hz: float = Field(
        ge=0.0, allow_inf_nan=False, description="Dark-count rate of each detector, in Hz."
    )
    gate_window_ns: float = Field(
        gt=0.0, allow_inf_nan=False, description="Detection window per measurement, in ns."
    )

    def contributions(self) -> dict[str, EffectiveChannel]:
        """Each component's share of the effective channel: loss, phase_noise, gate, detector.

        Every field of the total comes from exactly one component, so the total is their field-wise sum.
        The detector entry combines efficiency and dark counts, whose effects are not separable.
        """
        erasure, flip = dual_rail_readout(
            self.detector_efficiency, dark_count_probability(self.dark_count_rate_hz, self.gate_window_ns)
        )
        return {
            "loss": EffectiveChannel(erasure=1.0 - transmission(self.loss_db)),
            "phase_noise": EffectiveChannel(pauli_z=dephasing_probability(self.phase_sigma_rad)),
            "gate": EffectiveChannel(gate_depolarizing=self.gate_error),
            "detector": EffectiveChannel(
                measurement_erasure=erasure,
                measurement_flip=flip / (1.0 - erasure) if erasure < 1.0 else 0.0,
            ),
        }

    def effective_channel(self) -> EffectiveChannel:
        """The per-qubit, per-round effective channel of this hardware."""
        total: dict[str, float] = {}
        for part in self.contributions().values():
            for name, value in part.model_dump().items():
                total[name] = total.get(name, 0.0) + value
        return EffectiveChannel(**total)

    def hooks(self) -> NoiseHooks:
        """Hooks inserting the effective channel."""
        return self.effective_channel().hooks()
