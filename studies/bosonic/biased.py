"""XZZX (and, for comparison, CSS) surface codes under biased Pauli noise, as sinter tasks.

Bias eta = p_Z / (p_X + p_Y) with p_X = p_Y, total p = p_X + p_Y + p_Z (Bonilla Ataides, Tuckett, Bartlett,
Flammia, Brown, "The XZZX surface code", Nat. Commun. 12, 2172 (2021)); eta = 1/2 is depolarizing noise.
Code capacity: the data-qubit channel acts once and one perfect round is measured; phenomenological: it acts
every round and every measurement flips with probability p. Decoding is matching on the circuit's own DEM
(sinter's "pymatching"), so each data qubit's edge carries its marginal under the bias.
"""

from __future__ import annotations

import sinter

from protocols.codes import CodeSpec, build_memory_circuit
from protocols.errors import ConfigError
from protocols.noise import EffectiveChannel
from studies.bosonic.config import XzzxSection
from studies.bosonic.first_round import first_round_hooks

__all__ = ["biased_channel", "biased_memory_task", "xzzx_noise_name", "xzzx_tasks"]


def biased_channel(p: float, eta: float) -> EffectiveChannel:
    """Pauli channel of total probability p and bias eta: p_Z = p eta/(1+eta), p_X = p_Y = p/(2(1+eta))."""
    if not 0.0 <= p <= 1.0 or not eta > 0.0:
        raise ConfigError(f"biased channel needs p in [0, 1] and eta > 0, got p={p!r}, eta={eta!r}")
    pz = p * eta / (1.0 + eta)
    px = p / (2.0 * (1.0 + eta))
    return EffectiveChannel(pauli_x=px, pauli_y=px, pauli_z=pz)


def biased_memory_task(
    family: str, distance: int, p: float, eta: float, model: str, basis: str, noise_name: str
) -> sinter.Task:
    """One sinter task: memory of `family` in `basis` under biased noise (metadata noise, d, p, rounds, eta)."""
    channel = biased_channel(p, eta)
    if model == "code_capacity":
        rounds, hooks = 1, first_round_hooks(channel)
    else:
        rounds = distance
        hooks = channel.model_copy(update={"measurement_flip": p}).hooks()
    circuit = build_memory_circuit(CodeSpec(family, distance, rounds, basis), hooks)  # type: ignore[arg-type]
    meta = {"noise": noise_name, "d": distance, "p": p, "rounds": rounds, "eta": eta, "family": family,
            "basis": basis, "model": model}
    return sinter.Task(circuit=circuit, decoder="pymatching", json_metadata=meta)


def xzzx_noise_name(family: str, eta: float) -> str:
    """Name of one bias curve in stats and outputs, e.g. 'xzzx-eta10'."""
    return f"{family}-eta{eta:g}"


def xzzx_tasks(section: XzzxSection) -> list[sinter.Task]:
    """Tasks of every bias, distance and p: XZZX in the Z basis, and the CSS code in its weaker X basis."""
    tasks = [
        biased_memory_task("xzzx", d, p, b.eta, section.model, "Z", xzzx_noise_name("xzzx", b.eta))
        for b in section.biases
        for d in section.distances
        for p in b.p
    ]
    if section.compare_css:
        tasks += [
            biased_memory_task("rotated_surface", d, p, b.eta, section.model, "X",
                               xzzx_noise_name("rotated_surface", b.eta))
            for b in section.biases
            for d in section.distances
            for p in (b.p if b.css_p is None else b.css_p)
        ]
    return tasks
