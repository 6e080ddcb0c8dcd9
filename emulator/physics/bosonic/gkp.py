"""Square GKP qubit under Gaussian displacement noise: squeezing, per-quadrature logical errors, the analog syndrome.

Convention: q = (a + a^dag)/sqrt(2), [q, p] = i, vacuum variance 1/2. The square GKP lattice has stabilisers
displacing q and p by 2 sqrt(pi); logical X (Z) displaces q (p) by sqrt(pi). A displacement u of one quadrature
is corrected by shifting to the nearest multiple of sqrt(pi); the result is a logical error when that multiple is
odd (Gottesman, Kitaev, Preskill, PRA 64, 012310, 2001).

Squeezing: a peak of variance sigma^2 is quoted in dB relative to the vacuum, s_dB = -10 log10(sigma^2 / (1/2)),
so sigma^2 = 10^(-s_dB/10) / 2 (the convention of Fukui et al., PRL 119, 180507, 2017 and PRX 8, 021054, 2018;
for the finite-energy state exp(-Delta^2 n) this is s_dB = -10 log10(Delta^2) to leading order).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc

from protocols.errors import ConfigError

SQRT_PI = math.sqrt(math.pi)
SIGMA_RANGE = (1e-6, 10.0)


def _as_sigma(sigma: float | np.ndarray, name: str = "sigma") -> np.ndarray:
    s = np.asarray(sigma, dtype=float)
    lo, hi = SIGMA_RANGE
    if not np.all((s >= lo) & (s <= hi)):
        raise ConfigError(f"GKP {name} must be in [{lo}, {hi}] (vacuum variance 1/2 units), got {sigma!r}")
    return s


def squeezing_db_to_sigma(db: float | np.ndarray) -> np.ndarray:
    """Peak standard deviation sigma for a squeezing in dB: sigma^2 = 10^(-dB/10)/2 (float64, same shape)."""
    d = np.asarray(db, dtype=float)
    if not np.all((d > -20.0) & (d < 60.0)):
        raise ConfigError(f"GKP squeezing must be in (-20, 60) dB, got {db!r}")
    return np.sqrt(10.0 ** (-d / 10.0) / 2.0)


def sigma_to_squeezing_db(sigma: float | np.ndarray) -> np.ndarray:
    """Squeezing in dB of a peak with standard deviation sigma: -10 log10(2 sigma^2) (float64, same shape)."""
    return -10.0 * np.log10(2.0 * _as_sigma(sigma) ** 2)


def quadrature_error_probability(sigma: float | np.ndarray) -> np.ndarray:
    """Probability that Gaussian noise of std sigma in one quadrature causes a logical error (float64, same shape).

    P = sum_{k>=0} [erfc((2k+1/2) sqrt(pi) / (sqrt(2) sigma)) - erfc((2k+3/2) sqrt(pi) / (sqrt(2) sigma))]:
    the weight of N(0, sigma^2) on the bins whose nearest multiple of sqrt(pi) is odd, both signs together.
    """
    s = _as_sigma(sigma)
    # erfc(x) < 1e-300 beyond x ~ 26: terms with (2k+1/2) sqrt(pi) > 27 sqrt(2) sigma_max vanish.
    kmax = int(np.ceil(27.0 * math.sqrt(2.0) * float(np.max(s)) / (2.0 * SQRT_PI))) + 1
    k = np.arange(kmax).reshape((-1,) + (1,) * s.ndim)
    scale = math.sqrt(2.0) * s
    terms = erfc((2 * k + 0.5) * SQRT_PI / scale) - erfc((2 * k + 1.5) * SQRT_PI / scale)
    return terms.sum(axis=0)


def pauli_probabilities(sigma_q: float, sigma_p: float | None = None) -> tuple[float, float, float]:
    """(p_X, p_Y, p_Z) of the GKP qubit for independent Gaussian q- and p-noise (q-errors are X, p-errors Z)."""
    px = float(quadrature_error_probability(sigma_q))
    pz = float(quadrature_error_probability(sigma_q if sigma_p is None else sigma_p))
    return px * (1.0 - pz), px * pz, pz * (1.0 - px)


def loss_sigma(eta: float, amplified: bool = True) -> float:
    """Effective per-quadrature displacement std of pure loss with transmissivity eta (vacuum variance 1/2).

    amplified=True: loss then quantum-limited amplification by 1/eta is exactly the Gaussian displacement channel
    with sigma^2 = (1-eta)/eta (Albert et al., PRA 97, 032346, 2018; Noh, Albert, Jiang, IEEE TIT 65, 2563, 2019).
    amplified=False: the lattice shrinks by sqrt(eta) and the vacuum adds (1-eta)/2; a decoder that rescales its
    lattice by sqrt(eta) sees sigma^2 = (1-eta)/(2 eta) (one round, ideal peaks; the shrunken state is no longer a
    GKP codeword, which is why amplification, or a rescaling unitary, is used between rounds).
    """
    if not 0.0 < eta <= 1.0:
        raise ConfigError(f"loss transmissivity eta must be in (0, 1], got {eta!r}")
    var = (1.0 - eta) / eta
    return math.sqrt(var if amplified else var / 2.0)


def sample_displacements(sigma: float, shape: int | tuple[int, ...], seed: int | np.random.Generator) -> np.ndarray:
    """Gaussian displacements N(0, sigma^2) of one quadrature, float64 array of `shape` (vacuum variance 1/2)."""
    s = float(_as_sigma(sigma))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return rng.normal(0.0, s, size=shape)


def measured_syndrome(displacements: np.ndarray) -> np.ndarray:
    """The analog syndrome: each displacement modulo sqrt(pi), in [-sqrt(pi)/2, sqrt(pi)/2) (float64, same shape)."""
    u = np.asarray(displacements, dtype=float)
    return u - SQRT_PI * np.floor(u / SQRT_PI + 0.5)


def logical_flips(displacements: np.ndarray) -> np.ndarray:
    """1 where correcting to the nearest multiple of sqrt(pi) leaves a logical error (odd multiple), uint8."""
    u = np.asarray(displacements, dtype=float)
    return (np.floor(u / SQRT_PI + 0.5).astype(np.int64) & 1).astype(np.uint8)


def conditional_error_probability(measured: np.ndarray, sigma: float) -> np.ndarray:
    """P(logical error | analog syndrome m) for N(0, sigma^2) noise, float64 in [0, 1/2], same shape as m.

    p = sum_{j odd} g(m + j sqrt(pi)) / sum_j g(m + j sqrt(pi)), g the Gaussian density: the posterior that the
    nearest-lattice correction is off by an odd multiple of sqrt(pi) (Fukui et al. 2018; Vuillot et al., PRA 99,
    032344, 2019).
    """
    s = float(_as_sigma(sigma))
    m = np.asarray(measured, dtype=float)
    jmax = int(np.ceil(10.0 * s / SQRT_PI)) + 2
    j = np.arange(-jmax, jmax + 1).reshape((-1,) + (1,) * m.ndim)
    # Exponents relative to the j = 0 term: every term is <= 1 for |m| <= sqrt(pi)/2, so no overflow.
    weights = np.exp(-((m + j * SQRT_PI) ** 2 - m**2) / (2.0 * s * s))
    odd = (j % 2 == 1).astype(float)
    return (weights * odd).sum(axis=0) / weights.sum(axis=0)


def analog_outcome(displacements: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """(logical flip uint8, conditional error probability float64) per displacement, each of the input shape.

    The flip is what the most likely correction (shift back by the analog syndrome) leaves behind; the probability
    is what a decoder that sees only the syndrome believes about that flip (its soft information).
    """
    u = np.asarray(displacements, dtype=float)
    return logical_flips(u), conditional_error_probability(measured_syndrome(u), sigma)


def edge_weight(p_err: np.ndarray) -> np.ndarray:
    """Matching weight log((1-p)/p) of an error with probability p, float64 (p clipped to [1e-300, 1/2])."""
    p = np.clip(np.asarray(p_err, dtype=float), 1e-300, 0.5)
    return np.log1p(-p) - np.log(p)
