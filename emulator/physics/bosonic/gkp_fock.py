"""Finite-energy square GKP states in a truncated Fock space (QuTiP), and their decoded logical error.

The state with envelope exp(-Delta^2 n) applied to the ideal codeword sum_k |q = (2k + mu) sqrt(pi)> has peaks of
variance tanh(Delta^2)/2 centred at (2k + mu) sqrt(pi) sech(Delta^2) (Mehler kernel; Menicucci, PRL 112, 120504,
2014; Tzitrin et al., PRA 101, 032315, 2020). Quadrature convention as in `gkp`: vacuum variance 1/2.
"""

from __future__ import annotations

import math

import numpy as np
import qutip as qt

from emulator.physics.bosonic.gkp import SQRT_PI
from protocols.errors import ConfigError


def hermite_functions(q: np.ndarray, cutoff: int) -> np.ndarray:
    """Fock wavefunctions <q|n> for n < cutoff at positions q: float64 array (cutoff, len(q))."""
    q = np.asarray(q, dtype=float)
    psi = np.empty((cutoff, q.size))
    psi[0] = math.pi**-0.25 * np.exp(-(q**2) / 2.0)
    if cutoff > 1:
        psi[1] = math.sqrt(2.0) * q * psi[0]
    # Stable three-term recurrence of the normalised Hermite functions.
    for n in range(1, cutoff - 1):
        psi[n + 1] = math.sqrt(2.0 / (n + 1)) * q * psi[n] - math.sqrt(n / (n + 1)) * psi[n - 1]
    return psi


def peak_variance(delta: float) -> float:
    """Variance tanh(Delta^2)/2 of each q-peak of the exp(-Delta^2 n) GKP state (vacuum variance 1/2)."""
    return math.tanh(delta * delta) / 2.0


def gkp_state(mu: int, delta: float, cutoff: int) -> qt.Qobj:
    """Normalised ket exp(-Delta^2 n) sum_k |q=(2k+mu) sqrt(pi)>, logical |mu> (mu in {0, 1}), in `cutoff` Fock states.

    Raises ConfigError when more than 1e-8 of the norm would sit in the top 10 Fock states (cutoff too small).
    """
    if mu not in (0, 1):
        raise ConfigError(f"GKP logical value mu must be 0 or 1, got {mu!r}")
    if not 0.1 <= delta <= 1.0:
        raise ConfigError(f"GKP envelope Delta must be in [0.1, 1.0], got {delta!r}")
    if not 20 <= cutoff <= 1000:
        raise ConfigError(f"GKP Fock cutoff must be in [20, 1000], got {cutoff!r}")
    q_max = math.sqrt(2.0 * cutoff + 1.0) + 8.0  # beyond the turning point every psi_n (n < cutoff) vanishes
    k = np.arange(-math.ceil(q_max / (2 * SQRT_PI)) - 1, math.ceil(q_max / (2 * SQRT_PI)) + 2)
    coeffs = hermite_functions((2 * k + mu) * SQRT_PI, cutoff).sum(axis=1)
    coeffs *= np.exp(-delta * delta * np.arange(cutoff))
    coeffs /= np.linalg.norm(coeffs)
    tail = float(np.sum(coeffs[-10:] ** 2))
    if tail > 1e-8:
        raise ConfigError(f"Fock cutoff {cutoff} truncates the Delta={delta} GKP state (tail weight {tail:.2e})")
    return qt.Qobj(coeffs.reshape(-1, 1))


def position_density(rho: qt.Qobj, q: np.ndarray) -> np.ndarray:
    """<q|rho|q> on the grid q (float64, len(q)); a ket is taken as its density matrix."""
    psi = hermite_functions(q, rho.shape[0])
    if rho.isket:
        c = rho.full().ravel()
        return (c.real @ psi) ** 2 + (c.imag @ psi) ** 2
    # psi is real, so only the real part of rho contributes to the (real) diagonal <q|rho|q>.
    return np.sum((rho.full().real @ psi) * psi, axis=0)


def decoded_error_probability(rho: qt.Qobj, mu: int, scale: float = 1.0, nodes: int = 96) -> float:
    """Probability that rounding a q measurement to the nearest multiple of scale*sqrt(pi) gives logical 1-mu.

    `scale` = sqrt(eta) decodes on a lattice shrunk by loss. The density is integrated bin by bin with
    Gauss-Legendre nodes, so the bin edges are exact and the smooth density converges spectrally.
    """
    width = scale * SQRT_PI
    q_max = math.sqrt(2.0 * rho.shape[0] + 1.0) + 8.0  # every psi_n (n < cutoff) is negligible beyond
    j = np.arange(-math.ceil(q_max / width) - 1, math.ceil(q_max / width) + 2)
    x, w = np.polynomial.legendre.leggauss(nodes)
    q = (j[:, None] + 0.5 * x[None, :]) * width  # bin j spans [(j - 1/2), (j + 1/2)] * width
    mass = (position_density(rho, q.ravel()).reshape(q.shape) * w).sum(axis=1) * width / 2.0
    wrong = (j - mu) % 2 == 1
    return float(mass[wrong].sum() / mass.sum())
