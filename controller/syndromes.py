"""Syndromes: per-round outcomes and erasure flags -> the circuit's measurement record -> detection events.

The controller's decoding circuit (its code, with heralded channels where it expects erasures) defines which
record entries exist; `FrameLayout` says which frame and slot each comes from. A slot flagged by ingest (no
click, or clicks on both rails) sets the herald of that slot; its outcome bit is then meaningless and reads 0.
stim's measurement-to-detection-event converter does the rest, batched over blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import stim

from protocols.channel_map import ChannelMap
from protocols.errors import DecodeError
from protocols.frames import FrameLayout


@dataclass(frozen=True)
class Syndromes:
    """Detection events and measured observables of a batch of memory blocks."""

    detectors: np.ndarray  # bool (blocks, num_detectors), heralds included as detectors
    observables: np.ndarray  # bool (blocks, num_observables): the logical observables as read out


class SyndromeExtractor:
    """Configure once per decoding circuit; call on frames of whole blocks."""

    def __init__(self, circuit: stim.Circuit, channel_map: ChannelMap) -> None:
        """Derive the frame layout of `circuit` over the slots of `channel_map`."""
        self.circuit = circuit
        self.layout = FrameLayout.from_circuit(circuit, channel_map.qubits)
        self._m2d = circuit.compile_m2d_converter()

    @property
    def frames_per_block(self) -> int:
        """Readout frames (rounds on the wire) in one memory block."""
        return self.layout.n_frames

    def __call__(self, outcomes: np.ndarray, flags: np.ndarray) -> Syndromes:
        """Detection events of blocks from uint8 outcomes and flags of shape (blocks, frames, slots)."""
        want = (self.layout.n_frames, self.layout.n_slots)
        if outcomes.ndim != 3 or outcomes.shape[1:] != want or flags.shape != outcomes.shape:
            raise DecodeError(
                f"syndromes: expected outcomes and flags of shape (blocks, {want[0]}, {want[1]}), "
                f"got {outcomes.shape} and {flags.shape}"
            )
        erased = flags != 0
        record = self.layout.to_record(np.where(erased, 0, outcomes).astype(np.uint8), erased.view(np.uint8))
        dets, obs = self._m2d.convert(
            measurements=record.astype(np.bool_), separate_observables=True, bit_packed=False
        )
        return Syndromes(dets, obs)
