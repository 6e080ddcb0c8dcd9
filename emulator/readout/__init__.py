"""Readout: measurement outcomes -> detector clicks (efficiency, dark counts, jitter, dead time,
afterpulsing) -> time-tag records, in Numba."""

from emulator.readout.stage import ReadoutStage

__all__ = ["ReadoutStage"]
