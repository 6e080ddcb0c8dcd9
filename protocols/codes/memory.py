"""`build_memory_circuit`: the one entry point that builds a memory experiment for any `CodeSpec`."""

from __future__ import annotations

import stim

from protocols.codes.hooks import NoiseHooks, NoNoise
from protocols.codes.repetition import repetition_memory_circuit
from protocols.codes.spec import CodeSpec
from protocols.codes.surface import surface_memory_circuit
from protocols.codes.xzzx import xzzx_memory_circuit


def build_memory_circuit(spec: CodeSpec, noise: NoiseHooks | None = None) -> stim.Circuit:
    """Memory experiment for `spec` with noise inserted by `noise` (noiseless when None).

    Detectors carry coordinates (x, y, t), t the round (t = rounds for the final data detectors);
    heralds appended by `noise` carry (x, y, t, HERALD_COORD). The logical observable is index 0.
    """
    hooks: NoiseHooks = NoNoise() if noise is None else noise
    if spec.family == "rotated_surface":
        return surface_memory_circuit(spec, hooks)
    if spec.family == "repetition":
        return repetition_memory_circuit(spec, hooks)
    # CodeSpec admits no other family.
    return xzzx_memory_circuit(spec, hooks)
