"""Effective per-round qubit channels of bosonic qubits: biased cat noise, GKP displacement noise, dual-rail loss."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from emulator.physics.bosonic import gkp
from emulator.physics.bosonic.cat import CatNoise, CatRates, converged_cat_rates
from protocols.errors import ConfigError
from protocols.noise import EffectiveChannel


def _flip_probability(rate: float, time: float) -> float:
    # Probability of an odd number of flips of a Poisson flip process: <Z> decays as exp(-2 rate t).
    return -0.5 * math.expm1(-2.0 * rate * time)


@dataclass(frozen=True)
class CatQubitChannel:
    """Pauli probabilities per round of a stabilised cat qubit (round_time in units of 1/kappa_2)."""

    alpha2: float
    round_time: float
    p_x: float
    p_y: float
    p_z: float

    @property
    def bias(self) -> float:
        """Noise bias eta = p_Z / (p_X + p_Y) (inf when bit flips vanish)."""
        flips = self.p_x + self.p_y
        return math.inf if flips == 0 else self.p_z / flips

    def to_effective_channel(self) -> EffectiveChannel:
        """The per-round data-qubit Pauli channel as the code library's EffectiveChannel."""
        return EffectiveChannel(pauli_x=self.p_x, pauli_y=self.p_y, pauli_z=self.p_z)


def cat_channel(
    alpha2: float, noise: CatNoise, round_time: float, rates: CatRates | None = None
) -> CatQubitChannel:
    """Per-round Pauli channel of a cat qubit idling for round_time (units of 1/kappa_2) under `noise`.

    Bit flips (X-type) and phase flips (Z-type) are independent Poisson processes at the Liouvillian rates; a Y is
    both in one round. Pass precomputed `rates` (e.g. from `cat_rates_grid`) to skip the QuTiP computation.
    """
    if not 0.0 < round_time <= 1e6:
        raise ConfigError(f"cat round_time must be in (0, 1e6] (units of 1/kappa_2), got {round_time!r}")
    r = converged_cat_rates(alpha2, noise) if rates is None else rates
    pb = _flip_probability(r.bit_flip, round_time)
    pp = _flip_probability(r.phase_flip, round_time)
    return CatQubitChannel(float(alpha2), float(round_time), pb * (1 - pp), pb * pp, pp * (1 - pb))


@dataclass(frozen=True)
class GkpQubitChannel:
    """Per-round error model of a square GKP qubit: Gaussian displacements of std sigma_q (q) and sigma_p (p).

    q-displacements cause X errors and p-displacements Z errors; sigmas in vacuum-variance-1/2 units.
    """

    sigma_q: float
    sigma_p: float

    def __post_init__(self) -> None:
        for name in ("sigma_q", "sigma_p"):
            gkp._as_sigma(getattr(self, name), f"GkpQubitChannel.{name}")

    @property
    def p_q(self) -> float:
        """Probability of a logical X error per round (q quadrature), without analog information."""
        return float(gkp.quadrature_error_probability(self.sigma_q))

    @property
    def p_p(self) -> float:
        """Probability of a logical Z error per round (p quadrature), without analog information."""
        return float(gkp.quadrature_error_probability(self.sigma_p))

    def to_effective_channel(self) -> EffectiveChannel:
        """The average (analog-blind) Pauli channel: independent X from q and Z from p noise."""
        px, pz = self.p_q, self.p_p
        return EffectiveChannel(pauli_x=px * (1 - pz), pauli_y=px * pz, pauli_z=pz * (1 - px))

    def sample(
        self, shape: int | tuple[int, ...], seed: int | np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x_flip, x_p_err, z_flip, z_p_err) per qubit and round: flips uint8, conditional probabilities float64.

        The flips are the logical errors left by the most likely correction; p_err is the soft information a
        decoder derives from the analog syndrome (see gkp.analog_outcome), each array of `shape`.
        """
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        xf, xp = gkp.analog_outcome(gkp.sample_displacements(self.sigma_q, shape, rng), self.sigma_q)
        zf, zp = gkp.analog_outcome(gkp.sample_displacements(self.sigma_p, shape, rng), self.sigma_p)
        return xf, xp, zf, zp


def gkp_channel(
    squeezing_db: float | None = None, eta: float = 1.0, amplified: bool = True, sigma: float | None = None
) -> GkpQubitChannel:
    """GKP channel from finite squeezing (dB, or sigma directly) plus pure loss eta, amplified by 1/eta or not.

    Variances add: sigma^2 = sigma_squeezing^2 + (1-eta)/eta (amplified) or (1-eta)/(2 eta) (rescaled decoding).
    """
    if (squeezing_db is None) == (sigma is None):
        raise ConfigError("gkp_channel needs exactly one of squeezing_db or sigma")
    s0 = float(gkp.squeezing_db_to_sigma(squeezing_db)) if sigma is None else float(gkp._as_sigma(sigma))
    s = math.sqrt(s0 * s0 + gkp.loss_sigma(eta, amplified) ** 2)
    return GkpQubitChannel(s, s)


@dataclass(frozen=True)
class DualRailChannel:
    """Per-round heralded erasure of a dual-rail photonic qubit: the photon is lost, neither rail clicks."""

    transmission: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.transmission <= 1.0:
            raise ConfigError(f"DualRailChannel.transmission must be in [0, 1], got {self.transmission!r}")

    @property
    def p_erasure(self) -> float:
        """Erasure probability per round, 1 - transmission."""
        return 1.0 - self.transmission

    def to_effective_channel(self) -> EffectiveChannel:
        """Heralded erasure of each data qubit per round."""
        return EffectiveChannel(erasure=self.p_erasure)


def dual_rail_channel(loss_db: float | None = None, kappa_t: float | None = None) -> DualRailChannel:
    """Dual-rail erasure from a loss in dB per round (T = 10^(-dB/10)) or a loss rate times round time (T = e^-kt)."""
    if (loss_db is None) == (kappa_t is None):
        raise ConfigError("dual_rail_channel needs exactly one of loss_db or kappa_t")
    if loss_db is not None:
        if not 0.0 <= loss_db <= 100.0:
            raise ConfigError(f"dual-rail loss must be in [0, 100] dB per round, got {loss_db!r}")
        return DualRailChannel(10.0 ** (-loss_db / 10.0))
    if not 0.0 <= kappa_t <= 100.0:
        raise ConfigError(f"dual-rail kappa*t must be in [0, 100], got {kappa_t!r}")
    return DualRailChannel(math.exp(-kappa_t))
