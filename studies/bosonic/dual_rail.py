"""Dual-rail surface code: photon loss per round (dB) becomes heralded erasure, decoded with and without heralds.

Each round every data photon crosses a loss of L dB (transmission 10^(-L/10), `dual_rail_channel`): a lost
photon is a heralded erasure (no click on either rail). The ancilla photon of every check crosses the same loss
before it is detected: a heralded measurement erasure. Rounds = d, rotated surface code, Z memory.
"qc-erasure" decodes with each shot's heralds, "qc-matching" ignores them (`controller.decode`).
"""

from __future__ import annotations

import sinter

from emulator.physics.bosonic import dual_rail_channel
from protocols.codes import CodeSpec, build_memory_circuit
from protocols.noise import EffectiveChannel
from studies.bosonic.config import DualRailSection

__all__ = ["dual_rail_effective_channel", "dual_rail_noise_name", "dual_rail_tasks"]


def dual_rail_effective_channel(loss_db: float) -> EffectiveChannel:
    """Per-round erasure of data photons and of measured ancilla photons at `loss_db` per round."""
    pe = dual_rail_channel(loss_db=loss_db).p_erasure
    return EffectiveChannel(erasure=pe, measurement_erasure=pe)


def dual_rail_noise_name(decoder: str) -> str:
    """Name of one decoder's loss sweep, e.g. 'dual-rail-qc-erasure'."""
    return f"dual-rail-{decoder}"


def dual_rail_tasks(section: DualRailSection) -> list[sinter.Task]:
    """Tasks of every decoder, distance and loss of its sweep plus the operating points (metadata p = loss dB)."""
    tasks = []
    circuits = {}
    for dec, sweep in section.loss_db.items():
        for d in section.distances:
            for db in sorted(set(sweep) | set(section.operating_loss_db)):
                if (d, db) not in circuits:
                    circuits[d, db] = build_memory_circuit(
                        CodeSpec("rotated_surface", d, d, "Z"), dual_rail_effective_channel(db).hooks())
                meta = {"noise": dual_rail_noise_name(dec), "d": d, "p": db, "rounds": d,
                        "p_erasure": dual_rail_channel(loss_db=db).p_erasure, "family": "rotated_surface"}
                tasks.append(sinter.Task(circuit=circuits[d, db], decoder=dec, json_metadata=meta))
    return tasks
