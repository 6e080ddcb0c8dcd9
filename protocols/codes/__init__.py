"""QEC code families, their noiseless memory circuits and the hooks where noise is inserted."""

from protocols.codes.hooks import HERALD_COORD, NoiseHooks, NoNoise, herald_detector_mask
from protocols.codes.layout import CodeLayout, layout
from protocols.codes.memory import build_memory_circuit
from protocols.codes.spec import CodeSpec

__all__ = [
    "HERALD_COORD",
    "CodeLayout",
    "CodeSpec",
    "NoNoise",
    "NoiseHooks",
    "build_memory_circuit",
    "herald_detector_mask",
    "layout",
]
