"""Single-mode Gaussian channels in a truncated Fock space (Kraus form): pure loss and quantum-limited amplification.

Quadrature convention throughout the bosonic package: q = (a + a^dag)/sqrt(2), p = (a - a^dag)/(i sqrt(2)),
[q, p] = i, so the vacuum variance of each quadrature is 1/2.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import qutip as qt
from scipy.special import gammaln

from protocols.errors import ConfigError


def _check_cutoff(cutoff: int) -> None:
    if not isinstance(cutoff, (int, np.integer)) or not 2 <= cutoff <= 2000:
        raise ConfigError(f"Fock cutoff must be an integer in [2, 2000], got {cutoff!r}")


def _log_binom(n: np.ndarray, k: int) -> np.ndarray:
    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


def loss_kraus(eta: float, cutoff: int) -> list[qt.Qobj]:
    """Kraus operators E_k = sqrt((1-eta)^k/k!) eta^(n/2) a^k of pure loss with transmissivity eta in [0, 1]."""
    _check_cutoff(cutoff)
    if not 0.0 <= eta <= 1.0:
        raise ConfigError(f"loss transmissivity eta must be in [0, 1], got {eta!r}")
    ops = []
    for k in range(cutoff):
        n = np.arange(k, cutoff)  # input photon numbers that can lose k photons
        with np.errstate(divide="ignore"):
            log_amp = 0.5 * _log_binom(n, k) + 0.5 * k * np.log1p(-eta) + 0.5 * (n - k) * np.log(eta)
        m = np.zeros((cutoff, cutoff))
        m[n - k, n] = np.exp(log_amp)
        ops.append(qt.Qobj(m))
    return ops


def amplifier_kraus(gain: float, cutoff: int) -> list[qt.Qobj]:
    """Kraus operators of the quantum-limited phase-insensitive amplifier with gain >= 1, truncated at the cutoff.

    B_k = sqrt(1/k!) (1 - 1/G)^(k/2) a^dag^k G^(-(n+1)/2) (Ivan, Sabapathy, Simon, PRA 84, 042311, 2011).
    Amplification pushes weight above the cutoff; check the output trace (`truncation_loss`).
    """
    _check_cutoff(cutoff)
    if not 1.0 <= gain < 1e6:
        raise ConfigError(f"amplifier gain must be in [1, 1e6), got {gain!r}")
    ops = []
    for k in range(cutoff):
        n = np.arange(0, cutoff - k)  # inputs whose output n+k stays inside the cutoff
        with np.errstate(divide="ignore"):
            log_amp = 0.5 * _log_binom(n + k, k) + 0.5 * k * np.log1p(-1.0 / gain) - 0.5 * (n + 1) * np.log(gain)
        m = np.zeros((cutoff, cutoff))
        m[n + k, n] = np.exp(log_amp)
        ops.append(qt.Qobj(m))
    return ops


def apply_kraus(rho: qt.Qobj, kraus: Sequence[qt.Qobj]) -> qt.Qobj:
    """The state sum_k K_k rho K_k^dag (a ket is turned into its density matrix first)."""
    r = (qt.ket2dm(rho) if rho.isket else rho).full()
    mats = [k.full() for k in kraus]
    if all(not np.any(m.imag) for m in mats):
        # Real Kraus operators (loss, amplification): real products on the real and imaginary parts, which
        # sidesteps slow complex BLAS paths and halves the work.
        out = _real_sandwich([m.real for m in mats], r.real)
        if np.any(r.imag):
            out = out + 1j * _real_sandwich([m.real for m in mats], r.imag)
    else:
        out = sum(m @ r @ m.conj().T for m in mats)
    return qt.Qobj(out, dims=[rho.dims[0], rho.dims[0]])


def _real_sandwich(mats: Sequence[np.ndarray], r: np.ndarray) -> np.ndarray:
    out = np.zeros_like(r)
    for m in mats:
        rows, cols = np.nonzero(m)
        if rows.size and np.all(rows - cols == rows[0] - cols[0]) and np.all(np.diff(cols) == 1):
            # One shifted diagonal (every loss and amplifier Kraus operator): m r m^T is a scaled, shifted block
            # of r, O(N^2) without matrix products.
            c = m[rows, cols]
            out[rows[0] : rows[-1] + 1, rows[0] : rows[-1] + 1] += np.outer(c, c) * r[
                cols[0] : cols[-1] + 1, cols[0] : cols[-1] + 1
            ]
        elif rows.size:
            out += m @ r @ m.T
    return out


def loss_then_amplify(rho: qt.Qobj, eta: float) -> qt.Qobj:
    """Pure loss eta followed by quantum-limited amplification 1/eta: a Gaussian displacement channel.

    Each quadrature gains Gaussian noise of variance (1-eta)/eta (vacuum variance 1/2): Noh, Albert, Jiang,
    IEEE Trans. Inf. Theory 65, 2563 (2019); Albert et al., PRA 97, 032346 (2018).
    """
    cutoff = rho.shape[0]
    return apply_kraus(apply_kraus(rho, loss_kraus(eta, cutoff)), amplifier_kraus(1.0 / eta, cutoff))


def truncation_loss(rho: qt.Qobj) -> float:
    """1 - Tr(rho): the probability a truncated channel pushed above the Fock cutoff."""
    return float(1.0 - np.real(rho.tr()))


def quadrature_variance(rho: qt.Qobj, which: str = "q") -> float:
    """Variance of q = (a+a^dag)/sqrt(2) or p = (a-a^dag)/(i sqrt(2)) in the state (vacuum: 1/2)."""
    a = qt.destroy(rho.shape[0])
    if which == "q":
        x = (a + a.dag()) / np.sqrt(2)
    elif which == "p":
        x = (a - a.dag()) / (1j * np.sqrt(2))
    else:
        raise ConfigError(f"quadrature must be 'q' or 'p', got {which!r}")
    # The x^2 of a truncated a is wrong in its last row; x*x on the state's support is what we need, and the
    # callers keep the state well below the cutoff.
    return float(np.real(qt.expect(x * x, rho) - qt.expect(x, rho) ** 2))
