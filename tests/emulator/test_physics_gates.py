"""Beam-splitter gate errors against QuTiP: process fidelity, average gate fidelity and Pauli-twirled rates.

The imperfect gate is built from the two-mode operators, B(theta) = exp(theta (a b^dag - a^dag b)) and a phase
exp(i phi b^dag b), restricted to the dual-rail subspace {|1,0>, |0,1>} (which both preserve exactly: they
conserve photon number). Process fidelity: Gilchrist, Langford & Nielsen, Phys. Rev. A 71, 062310 (2005);
average gate fidelity F_avg = (d F_pro + 1)/(d + 1): Nielsen, Phys. Lett. A 303, 249 (2002).
Everything is exact up to floating point (tolerance 1e-12).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import qutip

from emulator.physics.gates import (
    GateConfig,
    beam_splitter_pauli_probabilities,
    beam_splitter_process_infidelity,
    compose_depolarizing2,
    distinguishability_depolarizing,
    splitting_angle_error,
)

FLOAT_TOL = 1e-12
CUTOFF = 3


def _modes():
    a = qutip.tensor(qutip.destroy(CUTOFF), qutip.qeye(CUTOFF))
    b = qutip.tensor(qutip.qeye(CUTOFF), qutip.destroy(CUTOFF))
    return a, b


def dual_rail(op: qutip.Qobj) -> qutip.Qobj:
    """Restrict a two-mode operator to the dual-rail qubit |0> = |1,0>, |1> = |0,1>."""
    basis = [qutip.tensor(qutip.basis(CUTOFF, 1), qutip.basis(CUTOFF, 0)),
             qutip.tensor(qutip.basis(CUTOFF, 0), qutip.basis(CUTOFF, 1))]
    return qutip.Qobj(np.array([[op.matrix_element(x, y) for y in basis] for x in basis]))


def beam_splitter(theta: float) -> qutip.Qobj:
    a, b = _modes()
    return (theta * (a * b.dag() - a.dag() * b)).expm()


def phase(phi: float) -> qutip.Qobj:
    _, b = _modes()
    return (1j * phi * b.dag() * b).expm()


@pytest.mark.parametrize("nominal_r", [0.5, 1.0 / 3.0])
@pytest.mark.parametrize("ratio_error, phase_error", [(0.0, 0.0), (0.01, 0.0), (0.0, 0.05), (-0.03, 0.2), (0.1, 0.7)])
def test_beam_splitter_gate_error_matches_qutip(nominal_r, ratio_error, phase_error):
    theta0 = np.arcsin(np.sqrt(nominal_r))
    dtheta = float(splitting_angle_error(ratio_error, nominal_r))
    ideal = dual_rail(beam_splitter(theta0))
    actual = dual_rail(phase(phase_error) * beam_splitter(theta0 + dtheta))
    # The angle conversion gives the requested reflectivity |<0,1|B|1,0>|^2.
    assert abs(actual.full()[1, 0]) ** 2 == pytest.approx(nominal_r + ratio_error, abs=FLOAT_TOL)
    r = float(beam_splitter_process_infidelity(dtheta, phase_error))
    assert 1.0 - qutip.process_fidelity(actual, ideal) == pytest.approx(r, abs=FLOAT_TOL)
    assert 1.0 - qutip.average_gate_fidelity(actual, ideal) == pytest.approx(2.0 / 3.0 * r, abs=FLOAT_TOL)
    # Pauli twirl: the diagonal of the chi matrix of the error after the ideal gate, E = U_actual U_ideal^dag
    # (basis I, X, Y, Z), which is where the circuit inserts gate noise.
    err = actual * ideal.dag()
    chi = qutip.to_chi(qutip.to_super(err)).full().real
    np.testing.assert_allclose(
        np.diag(chi) / np.trace(chi), beam_splitter_pauli_probabilities(dtheta, phase_error), atol=FLOAT_TOL
    )


def test_symmetric_internal_weight_is_one_plus_m_over_two():
    # The distinguishability model rests on P(exchange-symmetric internal state) = (1 + M)/2 for two photons
    # of overlap M = |<psi1|psi2>|^2 (projector (1 + SWAP)/2 on the internal degrees of freedom).
    for m in [1.0, 0.975, 0.5, 0.0]:
        psi1 = qutip.basis(2, 0)
        psi2 = np.sqrt(m) * qutip.basis(2, 0) + np.sqrt(1 - m) * qutip.basis(2, 1)
        sym = (qutip.tensor(qutip.qeye(2), qutip.qeye(2)) + qutip.swap(2, 2)) / 2
        p_sym = qutip.expect(sym, qutip.tensor(psi1, psi2))
        assert p_sym == pytest.approx((1 + m) / 2, abs=FLOAT_TOL)
        assert distinguishability_depolarizing(m) == pytest.approx(15 / 16 * (1 - p_sym), abs=FLOAT_TOL)


def _depolarize2_distribution(p: float) -> np.ndarray:
    d = np.full(16, p / 15)
    d[0] = 1 - p
    return d


def test_depolarizing_composition_matches_pauli_convolution():
    # Two-qubit Paulis as 4-bit (x1, z1, x2, z2) vectors multiply by XOR; convolve two DEPOLARIZE2 channels.
    p, q = 0.013, 0.2
    dp, dq = _depolarize2_distribution(p), _depolarize2_distribution(q)
    out = np.zeros(16)
    for i, j in itertools.product(range(16), repeat=2):
        out[i ^ j] += dp[i] * dq[j]
    assert compose_depolarizing2([p, q]) == pytest.approx(1 - out[0], abs=FLOAT_TOL)
    np.testing.assert_allclose(out[1:], (1 - out[0]) / 15, atol=FLOAT_TOL)


def test_gate_config_two_qubit_rate():
    ideal = GateConfig()
    assert ideal.two_qubit_depolarizing(1.0) == 0.0
    g = GateConfig(splitting_ratio_error=0.01, phase_error_rad=0.02, beam_splitters_per_two_qubit_gate=3)
    r = float(beam_splitter_process_infidelity(splitting_angle_error(0.01), 0.02))
    assert g.two_qubit_depolarizing(1.0) == pytest.approx(compose_depolarizing2([r, r, r]), abs=FLOAT_TOL)
    assert g.two_qubit_depolarizing(1.0) == pytest.approx(3 * r, rel=3 * r)  # first order in small errors
