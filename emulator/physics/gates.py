"""Linear-optical dual-rail gates: beam-splitter splitting-ratio and phase errors as Pauli and depolarizing rates.

Dual rail: |0> = |1,0>, |1> = |0,1> (one photon in rail a or b). A beam splitter
B(theta) = exp(theta (a b^dag - a^dag b)) acts on the one-photon subspace as exp(-i theta Y) (reflectivity
sin^2 theta), a phase phi on rail b as diag(1, e^{i phi}) = e^{i phi / 2} exp(-i phi Z / 2).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from pydantic import Field

from protocols.config import StrictModel


def splitting_angle_error(splitting_ratio_error: ArrayLike, nominal_reflectivity: ArrayLike = 0.5) -> np.ndarray:
    """Mixing-angle error dtheta = arcsin(sqrt(R0 + dR)) - arcsin(sqrt(R0)) (rad) of a reflectivity error dR."""
    r0 = np.asarray(nominal_reflectivity, dtype=np.float64)
    return np.arcsin(np.sqrt(r0 + np.asarray(splitting_ratio_error))) - np.arcsin(np.sqrt(r0))


def beam_splitter_process_infidelity(angle_error: ArrayLike, phase_error: ArrayLike) -> np.ndarray:
    """1 - F_pro = 1 - cos^2(dtheta) cos^2(dphi / 2) of an imperfect beam splitter followed by a phase error.

    The error after the ideal gate is E = U_actual U_ideal^dag = P(dphi) B(dtheta) (beam-splitter rotations
    commute, so this holds for any nominal splitting ratio); F_pro = |Tr E / 2|^2 = cos^2(dtheta) cos^2(dphi / 2).
    The average gate infidelity is 2/3 of it (Nielsen, Phys. Lett. A 303, 249 (2002)).
    """
    return 1.0 - beam_splitter_pauli_probabilities(angle_error, phase_error)[..., 0]


def beam_splitter_pauli_probabilities(angle_error: ArrayLike, phase_error: ArrayLike) -> np.ndarray:
    """[p_I, p_X, p_Y, p_Z] of the Pauli-twirled beam-splitter error after the ideal gate, shape (..., 4).

    E = (cos(dtheta) I - i sin(dtheta) Y)(cos(dphi/2) I - i sin(dphi/2) Z) up to a global phase, and Y Z = i X,
    so twirling gives p_I = c^2 C^2, p_X = s^2 S^2, p_Y = s^2 C^2, p_Z = c^2 S^2 with c, s = cos, sin(dtheta)
    and C, S = cos, sin(dphi / 2).
    """
    t = np.asarray(angle_error, dtype=np.float64)
    f = np.asarray(phase_error, dtype=np.float64) / 2.0
    c2, s2 = np.cos(t) ** 2, np.sin(t) ** 2
    cc2, ss2 = np.cos(f) ** 2, np.sin(f) ** 2
    return np.stack(np.broadcast_arrays(c2 * cc2, s2 * ss2, s2 * cc2, c2 * ss2), axis=-1)


def distinguishability_depolarizing(indistinguishability: ArrayLike) -> np.ndarray:
    """DEPOLARIZE2 probability (15/16)(1 - M)/2 charged to a two-photon-interference gate for HOM visibility M.

    Two photons with internal-state overlap M project onto the exchange-symmetric internal subspace with
    probability (1 + M)/2 and onto the antisymmetric one with (1 - M)/2; the antisymmetric part interferes
    with the opposite sign, so the gate fails. Model: a failed gate leaves a uniformly random two-qubit
    Pauli (full depolarization), i.e. DEPOLARIZE2 with 15/16 of the failure probability.
    """
    return 15.0 / 16.0 * (1.0 - np.asarray(indistinguishability, dtype=np.float64)) / 2.0


def compose_depolarizing2(probabilities: ArrayLike) -> float:
    """DEPOLARIZE2 probability of independent DEPOLARIZE2 channels in sequence: 1 - 16p/15 multiplies."""
    lam = np.prod(1.0 - 16.0 / 15.0 * np.asarray(probabilities, dtype=np.float64))
    return float(15.0 / 16.0 * (1.0 - lam))


class GateConfig(StrictModel):
    """Calibration of the beam-splitter network that implements the dual-rail gates."""

    splitting_ratio_error: float = Field(default=0.0, ge=-0.5, le=0.5, description="R - R0 of each beam splitter")
    phase_error_rad: float = Field(default=0.0, ge=0.0, le=np.pi, description="phase error per beam splitter")
    single_qubit_gates_per_round: int = Field(default=2, ge=0, le=100)
    beam_splitters_per_two_qubit_gate: int = Field(default=3, ge=1, le=100)
    two_qubit_gate_error: float = Field(default=0.0, ge=0.0, le=0.9375, description="other calibrated DEPOLARIZE2")

    def angle_error(self) -> float:
        """Mixing-angle error of each beam splitter (rad), converted at the nominal 50:50 ratio."""
        return float(splitting_angle_error(self.splitting_ratio_error))

    def single_qubit_pauli(self) -> np.ndarray:
        """[p_I, p_X, p_Y, p_Z] of one beam-splitter gate."""
        return beam_splitter_pauli_probabilities(self.angle_error(), self.phase_error_rad)

    def two_qubit_depolarizing(self, indistinguishability: float = 1.0) -> float:
        """DEPOLARIZE2 probability per entangling gate: beam-splitter errors, distinguishability, calibration.

        Each beam splitter's twirled error is replaced by a two-qubit depolarizing channel with the same
        process infidelity r (DEPOLARIZE2(p) has process infidelity p); independent channels compose.
        """
        r = float(beam_splitter_process_infidelity(self.angle_error(), self.phase_error_rad))
        parts = [r] * self.beam_splitters_per_two_qubit_gate
        parts += [float(distinguishability_depolarizing(indistinguishability)), self.two_qubit_gate_error]
        return compose_depolarizing2(parts)
