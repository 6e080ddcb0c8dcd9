"""Repetition code of stabilised cat qubits: the phase-flip code under the cat's strongly biased channel.

Per round of duration T (units of 1/kappa_2) every data cat suffers phase flips (Z) and bit flips (X) at the
Liouvillian rates of `emulator.physics.bosonic.cat_rates_grid`, combined as `cat_channel` does; every
X-parity measurement flips with probability p_Z + p_Y (a phase flip of the ancilla cat during the round:
phenomenological noise, ideal CNOTs; Guillaud & Mirrahimi, PRX 9, 041053 (2019) for the architecture).

The phase-flip code (`CodeSpec("repetition", d, d, "X")`) corrects Z errors; its X-basis memory is sampled by
stim and decoded by matching (the *phase part*). A bit flip of any data cat is a logical bit flip no check
sees, so per round the logical X failure is exactly the odd-parity probability (1 - (1 - 2 p_b)^d) / 2,
p_b = p_X + p_Y (the *bit part*); the two are independent, and the total per-round failure is
1 - (1 - phase)(1 - bit).
"""

from __future__ import annotations

import numpy as np
import sinter

from emulator.physics.bosonic import CatNoise, CatRates, cat_channel, cat_rates_grid
from emulator.physics.bosonic.channels import CatQubitChannel
from protocols.codes import CodeSpec, build_memory_circuit
from protocols.errors import ConfigError, NoiseModelError
from protocols.noise import EffectiveChannel
from studies.bosonic.config import CatRepetitionSection, CatSection

__all__ = [
    "ALPHA_SWEEP",
    "bit_part",
    "cat_repetition_channel",
    "cat_repetition_tasks",
    "cat_round_channel",
    "combine_parts",
    "repetition_task",
    "threshold_noise_name",
]


def cat_round_channel(alpha2: float, kappa_1: float, base: CatSection, round_time: float) -> CatQubitChannel:
    """Per-round Pauli channel of one cat at |alpha|^2 and kappa_1 (other noise from `base`), rates cached on disk."""
    noise = CatNoise(kappa_1=kappa_1, n_th=base.n_th, kappa_phi=base.kappa_phi)
    try:
        g = cat_rates_grid(np.array([alpha2]), noise)
    except NoiseModelError as e:
        raise ConfigError(
            f"cat_repetition: |alpha|^2={alpha2:g}, kappa_1={kappa_1:g} is outside the cat model: {e}"
        ) from e
    rates = CatRates(float(g["alpha2"][0]), float(g["bit_flip"][0]), float(g["phase_flip"][0]),
                     float(g["gap"][0]), int(g["cutoff"][0]))
    return cat_channel(alpha2, noise, round_time, rates=rates)


def cat_repetition_channel(ch: CatQubitChannel) -> EffectiveChannel:
    """The phenomenological effective channel of the phase-flip code: data Paulis, parity flips p_Z + p_Y."""
    return EffectiveChannel(pauli_x=ch.p_x, pauli_y=ch.p_y, pauli_z=ch.p_z, measurement_flip=ch.p_z + ch.p_y)


def bit_part(p_bit: float | np.ndarray, distance: int | np.ndarray) -> np.ndarray:
    """Per-round logical bit-flip probability (1 - (1 - 2 p_b)^d) / 2 of d data cats (float64)."""
    return 0.5 * (1.0 - np.power(1.0 - 2.0 * np.asarray(p_bit, dtype=float), np.asarray(distance, dtype=float)))


def combine_parts(phase: np.ndarray, bit: np.ndarray) -> np.ndarray:
    """Total per-round failure 1 - (1 - phase)(1 - bit) of independent phase and bit parts (float64)."""
    return 1.0 - (1.0 - np.asarray(phase, dtype=float)) * (1.0 - np.asarray(bit, dtype=float))


def repetition_task(d: int, ch: CatQubitChannel, noise_name: str, p: float, kappa_1: float) -> sinter.Task:
    """Phase-flip code memory (X basis, rounds = d) under the cat channel `ch`; metadata noise, d, p, rounds, p_bit."""
    circuit = build_memory_circuit(CodeSpec("repetition", d, d, "X"), cat_repetition_channel(ch).hooks())
    meta = {"noise": noise_name, "d": d, "p": p, "rounds": d, "alpha2": ch.alpha2, "kappa_1": kappa_1,
            "p_bit": ch.p_x + ch.p_y, "p_z": ch.p_z, "family": "repetition", "basis": "X"}
    return sinter.Task(circuit=circuit, decoder="pymatching", json_metadata=meta)


def threshold_noise_name(alpha2: float) -> str:
    """Name of the kappa_1 sweep at one |alpha|^2, e.g. 'cat-rep-a4'."""
    return f"cat-rep-a{alpha2:g}"


#: Name of the |alpha|^2 sweep at the operating kappa_1.
ALPHA_SWEEP = "cat-rep-alpha2"


def cat_repetition_tasks(section: CatRepetitionSection, base: CatSection) -> list[sinter.Task]:
    """kappa_1 sweeps at each threshold |alpha|^2 (p = kappa_1) and the |alpha|^2 sweep (p = |alpha|^2)."""
    tasks = []
    for a2 in section.threshold_alpha2:
        for k1 in section.kappa_1:
            ch = cat_round_channel(a2, k1, base, section.round_time)
            tasks += [repetition_task(d, ch, threshold_noise_name(a2), k1, k1) for d in section.distances]
    for a2 in section.alpha2:
        ch = cat_round_channel(a2, section.operating_kappa_1, base, section.round_time)
        tasks += [repetition_task(d, ch, ALPHA_SWEEP, a2, section.operating_kappa_1) for d in section.distances]
    return tasks
