"""Memory experiment of the repetition code: bit-flip code in basis Z, phase-flip code in basis X.

Basis "Z" is stim's `repetition_code:memory`: data in |0>, ZZ checks, protects against X flips only.
Basis "X" is its Hadamard image: data in |+>, XX checks (ancilla in |+>, CX ancilla -> data),
protects against Z flips only.
"""

from __future__ import annotations

import stim

from protocols.codes.extraction import build_memory
from protocols.codes.hooks import NoiseHooks
from protocols.codes.layout import layout
from protocols.codes.spec import CodeSpec
from protocols.errors import CodeError


def repetition_memory_circuit(spec: CodeSpec, noise: NoiseHooks) -> stim.Circuit:
    """Repetition code memory in `spec.basis` (bit-flip code for Z, phase-flip code for X)."""
    if spec.family != "repetition":
        raise CodeError(f"repetition_memory_circuit: family {spec.family!r} is not 'repetition'")
    lay = layout(spec)
    logical = lay.logical_z if spec.basis == "Z" else lay.logical_x
    return build_memory(
        lay,
        noise,
        data_basis={q: spec.basis for q in lay.data_qubits},
        checks=lay.ancillas,
        observable=[q for q, _ in logical],
    )
