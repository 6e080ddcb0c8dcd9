"""The code spec as it travels (protocols.wire.CodeSpec) and as the code library uses it (protocols.codes)."""

from __future__ import annotations

from protocols.codes import CodeSpec
from protocols.wire.messages import CodeSpec as WireCodeSpec


def code_to_wire(spec: CodeSpec) -> WireCodeSpec:
    """The wire form of a code spec."""
    return WireCodeSpec(family=spec.family, distance=spec.distance, rounds=spec.rounds, basis=spec.basis)


def code_from_wire(code: WireCodeSpec) -> CodeSpec:
    """A code spec from its wire form (validated: an unsupported one raises CodeError)."""
    return CodeSpec(code.family, int(code.distance), int(code.rounds), code.basis)
