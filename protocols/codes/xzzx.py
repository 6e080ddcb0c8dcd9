"""Memory experiment of the rotated XZZX surface code (Bonilla Ataides et al., Nat. Commun. 12, 2172 (2021)).

Same qubits and schedule as the rotated surface code; every check is X Z Z X: X on the two corners
along the main diagonal (offsets (-1,-1), (+1,+1)), Z on the anti-diagonal ones (weight-2 boundary
checks keep the Paulis of their two corners). The code is the rotated surface code conjugated by H on
the data qubits (2i+1, 2j+1) with i = j (mod 2); a memory in logical basis B therefore prepares and
measures those data qubits in the other basis and the rest in B. Every ancilla starts in |+> and
applies its check controlled on itself (CX for X, CZ for Z), in the hook-safe order of the surface code;
in that order every ancilla meets X, Z, Z, X, so the four entangling layers are CX, CZ, CZ, CX.
"""

from __future__ import annotations

import stim

from protocols.codes.extraction import build_memory
from protocols.codes.hooks import Basis, NoiseHooks
from protocols.codes.layout import layout
from protocols.codes.spec import CodeSpec
from protocols.errors import CodeError


def xzzx_memory_circuit(spec: CodeSpec, noise: NoiseHooks) -> stim.Circuit:
    """XZZX code memory in logical basis `spec.basis`."""
    if spec.family != "xzzx":
        raise CodeError(f"xzzx_memory_circuit: family {spec.family!r} is not 'xzzx'")
    lay = layout(spec)
    logical = lay.logical_z if spec.basis == "Z" else lay.logical_x
    other: Basis = "X" if spec.basis == "Z" else "Z"
    data_basis: dict[int, Basis] = {}
    for q in lay.data_qubits:
        x, y = lay.coords[q]
        i, j = int(x - 1) // 2, int(y - 1) // 2
        data_basis[q] = other if i % 2 == j % 2 else spec.basis
    return build_memory(
        lay,
        noise,
        data_basis=data_basis,
        checks=lay.z_ancillas if spec.basis == "Z" else lay.x_ancillas,
        observable=[q for q, _ in logical],
    )
