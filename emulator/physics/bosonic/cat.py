"""Cat qubits: the two-component cat stabilised by two-photon dissipation, and multi-component cats under loss.

Conventions. The mode is truncated at `cutoff` Fock states; alpha is real and positive (|alpha|^2 = alpha2).
Logical Z eigenstates are the coherent states |+alpha>, |-alpha>; logical X eigenstates are the even/odd cats.
A *bit flip* (X or Y error) moves weight between +alpha and -alpha; a *phase flip* (Z or Y error) changes the
photon-number parity. Rates are probabilities per unit time of a Pauli channel, so <Z> decays as
exp(-2 bit_flip t) and <X> as exp(-2 phase_flip t). All rates are in units of kappa_2 unless a name says `_hz`.

Lindblad operators (Mirrahimi et al., NJP 16, 045014, 2014; Guillaud & Mirrahimi, PRX 9, 041053, 2019):
    sqrt(kappa_2) (a^2 - alpha^2), sqrt(kappa_1 (1 + n_th)) a, sqrt(kappa_1 n_th) a^dag, sqrt(2 kappa_phi) a^dag a.
Dephasing convention: with sqrt(2 kappa_phi) a^dag a, the coherence rho_nm decays at kappa_phi (n - m)^2, so a
|0>+|1> superposition dephases at kappa_phi (T_phi = 1/kappa_phi).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import qutip as qt
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from emulator.physics.bosonic import cache
from emulator.physics.bosonic.fock_channels import loss_kraus
from protocols.errors import BackendError, ConfigError, NoiseModelError

ALPHA2_RANGE = (0.5, 30.0)
# Absolute resolution of the shift-invert eigensolver on these Liouvillians (units of kappa_2): repeated solves
# at different cutoffs scatter by ~1e-15..1e-14, so rates below ~1e-13 are noise, not physics.
EIGEN_ATOL = 1e-13


@dataclass(frozen=True)
class CatNoise:
    """Noise on a two-photon-stabilised cat mode; rates in units of kappa_2, n_th in photons."""

    kappa_1: float = 1e-3
    n_th: float = 0.0
    kappa_phi: float = 0.0

    def __post_init__(self) -> None:
        for name, upper in (("kappa_1", 1.0), ("n_th", 10.0), ("kappa_phi", 1.0)):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0.0 <= value <= upper):
                raise ConfigError(f"CatNoise.{name} must be in [0, {upper}] (units of kappa_2), got {value!r}")


@dataclass(frozen=True)
class CatRates:
    """Logical flip rates of a stabilised cat qubit at one |alpha|^2, in units of kappa_2."""

    alpha2: float
    bit_flip: float
    phase_flip: float
    gap: float
    cutoff: int

    def bit_flip_hz(self, kappa_2_hz: float) -> float:
        """Bit-flip rate in 1/s for a two-photon dissipation rate kappa_2 given in 1/s."""
        return self.bit_flip * kappa_2_hz

    def phase_flip_hz(self, kappa_2_hz: float) -> float:
        """Phase-flip rate in 1/s for a two-photon dissipation rate kappa_2 given in 1/s."""
        return self.phase_flip * kappa_2_hz


def _check_alpha2(alpha2: float) -> None:
    lo, hi = ALPHA2_RANGE
    if not (isinstance(alpha2, (int, float, np.floating)) and lo <= alpha2 <= hi):
        raise ConfigError(f"cat |alpha|^2 must be in [{lo}, {hi}], got {alpha2!r}")


def default_cutoff(alpha2: float) -> int:
    """A first Fock cutoff for |alpha|^2: the coherent states +-alpha plus ~8 standard deviations and a margin."""
    _check_alpha2(alpha2)
    return int(math.ceil(alpha2 + 8.0 * math.sqrt(alpha2) + 16.0))


def cat_collapse_ops(alpha2: float, noise: CatNoise, cutoff: int) -> list[qt.Qobj]:
    """The Lindblad operators (module docstring) with kappa_2 = 1; zero-rate channels are omitted."""
    _check_alpha2(alpha2)
    if not 8 <= cutoff <= 400:
        raise ConfigError(f"cat Fock cutoff must be in [8, 400], got {cutoff!r}")
    a = qt.destroy(cutoff)
    ops = [a * a - alpha2 * qt.qeye(cutoff)]
    if noise.kappa_1 > 0:
        ops.append(math.sqrt(noise.kappa_1 * (1.0 + noise.n_th)) * a)
    if noise.kappa_1 * noise.n_th > 0:
        ops.append(math.sqrt(noise.kappa_1 * noise.n_th) * a.dag())
    if noise.kappa_phi > 0:
        ops.append(math.sqrt(2.0 * noise.kappa_phi) * a.dag() * a)
    return ops


def cat_liouvillian(alpha2: float, noise: CatNoise, cutoff: int) -> qt.Qobj:
    """The Liouvillian superoperator (units of kappa_2) of the stabilised cat mode."""
    return qt.liouvillian(None, cat_collapse_ops(alpha2, noise, cutoff))


def _smallest_eigenvalues(block: sp.csc_matrix, k: int, shift: float) -> np.ndarray:
    """The k eigenvalues of `block` nearest to `shift`, sorted by modulus (shift-invert ARPACK, fixed start)."""
    v0 = np.ones(block.shape[0], dtype=block.dtype)  # fixed start vector: ARPACK is otherwise random
    try:
        vals = spla.eigs(block, k=k, sigma=shift, which="LM", v0=v0, return_eigenvectors=False, tol=1e-13)
    except (spla.ArpackNoConvergence, RuntimeError) as e:
        raise BackendError(f"shift-invert eigensolver failed on a {block.shape} Liouvillian block: {e}") from e
    return vals[np.argsort(np.abs(vals))]


def cat_rates(alpha2: float, noise: CatNoise, cutoff: int | None = None) -> CatRates:
    """Bit- and phase-flip rates at one |alpha|^2 and one Fock cutoff, from the Liouvillian spectrum.

    Every Lindblad operator has definite photon parity, so the Liouvillian commutes with rho -> P rho P and splits
    into the block of rho_nm with n+m even (holding I and the logical X, i.e. the parity) and n+m odd (holding the
    logical Z and Y, the coherences between +alpha and -alpha). The even block's smallest nonzero |eigenvalue| is the
    decay rate of <X> = 2 phase_flip; the odd block's smallest is the decay rate of <Z> = 2 bit_flip.
    The spectrum, not a fit of a mesolve decay: bit-flip rates reach 1e-12 kappa_2, which a time evolution would
    have to follow for ~1e12/kappa_2; the tests check the mode identification against mesolve where both work.
    """
    cutoff = default_cutoff(alpha2) if cutoff is None else cutoff
    lv = cat_liouvillian(alpha2, noise, cutoff).to("csr").data_as("csr_matrix")
    if not np.any(lv.data.imag):
        lv = lv.real  # no Hamiltonian, real alpha: a real Liouvillian, and real ARPACK is several times faster
    idx = np.arange(cutoff * cutoff)
    parity = (idx % cutoff + idx // cutoff) % 2
    even = np.flatnonzero(parity == 0)
    odd = np.flatnonzero(parity == 1)
    # The even block is singular (the steady state), and so is the odd one without bit-flip noise; a tiny positive
    # shift (no eigenvalue has a positive real part) keeps both LU factorisations regular.
    ev = _smallest_eigenvalues(lv[even][:, even].tocsc(), 3, 1e-9)
    od = _smallest_eigenvalues(lv[odd][:, odd].tocsc(), 2, 1e-9)
    phase_decay = float(-ev[1].real)
    bit_decay = float(-od[0].real)
    gap = float(abs(ev[2]))  # the slowest mode outside the code space: the confinement rate
    if not (abs(ev[0]) < 1e-8 and phase_decay < 0.1 * gap and bit_decay < 0.1 * gap):
        raise NoiseModelError(
            f"no protected cat manifold at |alpha|^2={alpha2}, {noise}: logical decay rates "
            f"(phase {phase_decay:.3g}, bit {bit_decay:.3g}) not well below the confinement gap {gap:.3g} "
            "(units of kappa_2); lower kappa_1/kappa_phi or raise |alpha|^2"
        )
    return CatRates(
        alpha2=float(alpha2),
        bit_flip=max(bit_decay, 0.0) / 2.0,
        phase_flip=max(phase_decay, 0.0) / 2.0,
        gap=gap,
        cutoff=int(cutoff),
    )


def converged_cat_rates(
    alpha2: float, noise: CatNoise, rtol: float = 1e-2, step: int = 10, max_cutoff: int = 160
) -> CatRates:
    """Rates at the first cutoff N (from `default_cutoff`) whose result moves by < rtol (+ EIGEN_ATOL) at N + step."""
    n = default_cutoff(alpha2)
    previous = cat_rates(alpha2, noise, n)
    while n + step <= max_cutoff:
        current = cat_rates(alpha2, noise, n + step)
        if all(
            abs(getattr(current, f) - getattr(previous, f)) <= rtol * abs(getattr(current, f)) + EIGEN_ATOL
            for f in ("bit_flip", "phase_flip")
        ):
            return previous
        n, previous = n + step, current
    raise NoiseModelError(
        f"cat rates at |alpha|^2={alpha2} did not converge to rtol={rtol} below cutoff {max_cutoff}; "
        "raise max_cutoff"
    )


def cat_rates_grid(
    alpha2s: Sequence[float] | np.ndarray, noise: CatNoise, rtol: float = 1e-2, use_cache: bool = True
) -> dict[str, np.ndarray]:
    """Converged rates on a grid of |alpha|^2 as arrays (alpha2, bit_flip, phase_flip, gap, cutoff), cached on disk."""
    grid = [float(x) for x in np.atleast_1d(np.asarray(alpha2s, dtype=float))]

    def compute() -> dict[str, np.ndarray]:
        rows = [converged_cat_rates(x, noise, rtol) for x in grid]
        return {
            "alpha2": np.array([r.alpha2 for r in rows]),
            "bit_flip": np.array([r.bit_flip for r in rows]),
            "phase_flip": np.array([r.phase_flip for r in rows]),
            "gap": np.array([r.gap for r in rows]),
            "cutoff": np.array([r.cutoff for r in rows], dtype=np.int64),
        }

    if not use_cache:
        return compute()
    params = {"alpha2": grid, "kappa_1": noise.kappa_1, "n_th": noise.n_th, "kappa_phi": noise.kappa_phi,
              "rtol": rtol}
    return cache.cached("cat_rates", params, compute)


def cached_cat_rates(alpha2: float, noise: CatNoise, rtol: float = 1e-2) -> CatRates:
    """Converged rates at one |alpha|^2, read from / written to the disk cache (see `cat_rates_grid`)."""
    g = cat_rates_grid([alpha2], noise, rtol)
    return CatRates(
        float(g["alpha2"][0]), float(g["bit_flip"][0]), float(g["phase_flip"][0]), float(g["gap"][0]),
        int(g["cutoff"][0]),
    )


def phase_flip_estimate(alpha2: float, noise: CatNoise) -> float:
    """Leading-order phase-flip rate kappa_1 (1 + 2 n_th) |alpha|^2 (units of kappa_2; Guillaud & Mirrahimi 2019)."""
    return noise.kappa_1 * (1.0 + 2.0 * noise.n_th) * alpha2


def cat_codewords(alpha: float, components: int, cutoff: int) -> np.ndarray:
    """Codewords of the 2- or 4-component cat code as columns of a (cutoff, 2) float array (Fock basis).

    Two components: |0_L>, |1_L> are the even and odd cats |alpha> +- |-alpha> (photon number 0, 1 mod 2).
    Four components: |alpha> + |-alpha> +- (|i alpha> + |-i alpha>), photon number 0 and 2 mod 4
    (Leghtas et al., PRL 111, 120501, 2013; Mirrahimi et al. 2014).
    """
    if components not in (2, 4):
        raise ConfigError(f"cat components must be 2 or 4, got {components!r}")
    if not 0.1 <= alpha <= math.sqrt(ALPHA2_RANGE[1]):
        raise ConfigError(f"cat alpha must be in [0.1, {math.sqrt(ALPHA2_RANGE[1]):.3g}], got {alpha!r}")
    n = np.arange(cutoff)
    log_amp = n * math.log(alpha) - 0.5 * np.array([math.lgamma(k + 1) for k in n])
    amp = np.exp(log_amp - log_amp.max())
    step = 2 if components == 2 else 4
    words = np.zeros((cutoff, 2))
    for j, residue in enumerate((0, step // 2)):
        words[n % step == residue, j] = amp[n % step == residue]
        words[:, j] /= np.linalg.norm(words[:, j])
    return words


def loss_recovery_fidelity(
    alpha: float, components: int, kappa_t: float, cutoff: int = 40, recovery: str = "transpose"
) -> float:
    """Entanglement fidelity of a cat code after pure loss exp(-kappa_t), with the transpose recovery or none.

    "transpose": R = sum_k P E_k^dag N(P)^(-1/2) . N(P)^(-1/2) E_k P (Petz), near-optimal when single losses are
    correctable, as for the four-component cat (Barnum & Knill 2002; Albert et al., PRA 97, 032346, 2018).
    "none": the bare channel; right for the two-component cat, whose single loss maps the code onto itself (a
    logical flip no recovery can detect), where the transpose recovery would "undo" losses that did not happen.
    One minus the fidelity is the logical error probability per loss interval kappa*t.
    """
    if recovery not in ("transpose", "none"):
        raise ConfigError(f"cat loss recovery must be 'transpose' or 'none', got {recovery!r}")
    if not 0.0 <= kappa_t <= 5.0:
        raise ConfigError(f"loss kappa*t must be in [0, 5], got {kappa_t!r}")
    v = cat_codewords(alpha, components, cutoff)
    if np.sum(np.abs(v[-4:]) ** 2) > 1e-12:
        raise ConfigError(f"Fock cutoff {cutoff} truncates the alpha={alpha} cat codewords; raise it")
    kraus = np.array([k.full().real for k in loss_kraus(math.exp(-kappa_t), cutoff)])  # (K, N, N)
    ev = kraus @ v  # E_k V: (K, N, 2)
    if recovery == "none":
        return float(np.sum(np.einsum("ni,kni->k", v, ev) ** 2) / 4.0)  # sum_k |Tr(V^dag E_k V)|^2 / 4
    image = np.einsum("kni,kmi->nm", ev, ev)  # N(P) = sum_k E_k P E_k^dag
    w, u = np.linalg.eigh(image)
    keep = w > 1e-12 * w.max()
    inv_sqrt = (u[:, keep] / np.sqrt(w[keep])) @ u[:, keep].T
    a = inv_sqrt @ ev  # N^(-1/2) E_k V
    traces = np.einsum("lni,kni->lk", ev, a)  # Tr(V^dag E_l^dag N^(-1/2) E_k V)
    return float(np.sum(traces**2) / 4.0)
