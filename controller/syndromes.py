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


#: Up to this many blocks per call, detection events are gathered in numpy; more go through stim's converter.
FEW_BLOCKS = 4


def detector_record_entries(circuit: stim.Circuit) -> tuple[list[list[int]], dict[int, list[int]]]:
    """Absolute measurement-record entries of every detector, and of every observable, of `circuit`."""
    dets: list[list[int]] = []
    obs: dict[int, list[int]] = {}
    count = 0
    for inst in circuit.flattened():
        name = inst.name
        if name == "DETECTOR":
            dets.append([count + t.value for t in inst.targets_copy()])
        elif name == "OBSERVABLE_INCLUDE":
            obs.setdefault(int(inst.gate_args_copy()[0]), []).extend(count + t.value for t in inst.targets_copy())
        elif name.startswith(("M", "HERALDED")):
            count += len(inst.targets_copy())
    return dets, obs


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
        # For a few blocks at a time (the real-time path), a gather + reduceat over each detector's record
        # entries costs a few microseconds where stim's converter has a fixed cost of tens.
        dets, obs = detector_record_entries(circuit)
        self._det_idx = np.array([c for cs in dets for c in cs], dtype=np.int64)
        self._det_off = np.concatenate([[0], np.cumsum([len(c) for c in dets])[:-1]]).astype(np.int64)
        self._obs = [np.asarray(obs.get(k, []), dtype=np.int64) for k in range(circuit.num_observables)]
        self._few = all(len(c) for c in dets)

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
        if len(record) <= FEW_BLOCKS and self._few:
            dets = np.bitwise_xor.reduceat(record[:, self._det_idx], self._det_off, axis=1).view(np.bool_)
            obs = np.stack(
                [np.bitwise_xor.reduce(record[:, c], axis=1) for c in self._obs], axis=1
            ).astype(np.bool_)
            return Syndromes(dets, obs)
        dets, obs = self._m2d.convert(
            measurements=record.astype(np.bool_), separate_observables=True, bit_packed=False
        )
        return Syndromes(dets, obs)


class LayerSyndromes:
    """Detection events layer by layer, as a block's rounds arrive (for streaming decoding of long blocks).

    Layer t of a block (detector time coordinate t) depends only on readout frames 0..t, so it can be
    computed as soon as frame t is in. Each detector is the parity of a few measurement-record entries
    (its DETECTOR targets); they are gathered once, per layer, so a layer costs one gather and one
    `reduceat`.
    """

    def __init__(self, circuit: stim.Circuit, channel_map: ChannelMap) -> None:
        """Index the detectors of `circuit` by layer and by the record entries they read."""
        self.layout = FrameLayout.from_circuit(circuit, channel_map.qubits)
        cols, obs = detector_record_entries(circuit)
        coords = circuit.get_detector_coordinates()
        layer = np.array([int(round(coords[k][2])) for k in range(len(cols))], dtype=np.int64)
        if np.any(np.diff(layer) < 0):
            raise DecodeError("layer syndromes: detectors are not ordered by their time coordinate")
        self.n_layers = int(layer.max()) + 1 if len(layer) else 0
        bounds = np.searchsorted(layer, np.arange(self.n_layers + 1))
        self.bounds = bounds  # detectors of layer t: [bounds[t], bounds[t + 1])
        flat = np.array([c for cs in cols for c in cs], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum([len(c) for c in cols])]).astype(np.int64)
        self._layers = []
        for t in range(self.n_layers):
            a, b = bounds[t], bounds[t + 1]
            self._layers.append((flat[starts[a] : starts[b]], starts[a:b] - starts[a]))
        self.observable = np.asarray(obs.get(0, []), dtype=np.int64)

    def layers(self, record: np.ndarray, t0: int, t1: int) -> np.ndarray:
        """uint8 detection events of layers [t0, t1), in detector order, from a (num_measurements,) record."""
        parts = []
        for t in range(t0, t1):
            idx, offs = self._layers[t]
            if len(offs):
                parts.append(np.bitwise_xor.reduceat(record[idx], offs))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)

    def measured_observable(self, record: np.ndarray) -> int:
        """The logical observable as read out (parity of its record entries)."""
        return int(np.bitwise_xor.reduce(record[self.observable])) if len(self.observable) else 0
