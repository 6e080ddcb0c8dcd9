"""Memory experiment of the rotated surface code (CSS: X and Z checks), as in stim's generated circuits."""

from __future__ import annotations

import stim

from protocols.codes.extraction import build_memory
from protocols.codes.hooks import NoiseHooks
from protocols.codes.layout import layout
from protocols.codes.spec import CodeSpec
from protocols.errors import CodeError


def surface_memory_circuit(spec: CodeSpec, noise: NoiseHooks) -> stim.Circuit:
    """Rotated surface code memory: all data prepared and measured in `spec.basis`."""
    if spec.family != "rotated_surface":
        raise CodeError(f"surface_memory_circuit: family {spec.family!r} is not 'rotated_surface'")
    lay = layout(spec)
    checks = lay.z_ancillas if spec.basis == "Z" else lay.x_ancillas
    logical = lay.logical_z if spec.basis == "Z" else lay.logical_x
    return build_memory(
        lay,
        noise,
        data_basis={q: spec.basis for q in lay.data_qubits},
        checks=checks,
        observable=[q for q, _ in logical],
    )
