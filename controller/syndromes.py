"""Syndromes: per-round outcomes and erasure flags -> the circuit's measurement record -> detection events.

The controller's decoding circuit (its code, with heralded channels where it expects erasures) defines which
record entries exist; `FrameLayout` says which frame and slot each comes from. A slot flagged by ingest (no
click, or clicks on both rails) sets the herald of that slot; its outcome bit is then meaningless and reads 0.
A compiled kernel does the rest in one pass per block (record entry -> frame slot, then each detector's
parity over its record entries); large batches may use stim's bit-packed converter instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import stim

from protocols.channel_map import ChannelMap
from protocols.errors import DecodeError
from protocols.frames import FrameLayout


#: Up to this many blocks per call, the compiled kernel computes detection events; more go through stim's
#: bit-packed converter, which wins on large batches (bench/loop.py measures the decode throughput).
FEW_BLOCKS = 4


@numba.njit(cache=True, nogil=True)
def block_record_and_detectors(outcomes, flags, src, is_herald, det_idx, det_off, rec, dets):  # pragma: no cover - compiled
    """One block: fill rec (num_measurements,) and dets (D,) from uint8 outcomes and flags (frames * slots,)."""
    for i in range(len(src)):
        f = flags[src[i]]
        if is_herald[i]:
            rec[i] = f != 0
        else:
            rec[i] = outcomes[src[i]] if f == 0 else 0  # an erased slot's outcome bit is meaningless
    for d in range(len(det_off) - 1):
        x = 0
        for j in range(det_off[d], det_off[d + 1]):
            x ^= rec[det_idx[j]]
        dets[d] = x


@numba.njit(cache=True, nogil=True)
def _detection_events(outcomes, flags, src, is_herald, det_idx, det_off, obs_idx, obs_off, dets, obs):  # pragma: no cover - compiled
    """Fill dets (blocks, D) and obs (blocks, K) from uint8 outcomes and flags of shape (blocks, frames * slots)."""
    rec = np.empty(len(src), np.uint8)
    for b in range(outcomes.shape[0]):
        block_record_and_detectors(outcomes[b], flags[b], src, is_herald, det_idx, det_off, rec, dets[b])
        for k in range(len(obs_off) - 1):
            x = 0
            for j in range(obs_off[k], obs_off[k + 1]):
                x ^= rec[obs_idx[j]]
            obs[b, k] = x


def _flat(groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated members and offsets (len + 1) of a list of index lists."""
    off = np.zeros(len(groups) + 1, dtype=np.int64)
    off[1:] = np.cumsum([len(g) for g in groups])
    return np.array([i for g in groups for i in g], dtype=np.int64), off


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
        # Record entry i comes from frame slot src[i] (flattened frame * slots), as an outcome or a herald.
        lay = self.layout
        self._src = np.zeros(lay.num_measurements, dtype=np.int64)
        self._is_herald = np.zeros(lay.num_measurements, dtype=np.bool_)
        for index, herald in ((lay.outcome_index, False), (lay.herald_index, True)):
            flat = index.ravel()
            where = np.flatnonzero(flat >= 0)
            self._src[flat[where]] = where
            self._is_herald[flat[where]] = herald
        dets, obs = detector_record_entries(circuit)
        self._det_idx, self._det_off = _flat(dets)
        self._obs_idx, self._obs_off = _flat([obs.get(k, []) for k in range(circuit.num_observables)])

    def block_tables(self) -> tuple:
        """The arrays `block_record_and_detectors` takes after a block's outcomes and flags (record entry ->
        frame slot, herald entries, detectors' record entries and offsets), then observable 0's record
        entries: for a caller that compiles the step from frames onwards (BlockDecoder)."""
        obs0 = self._obs_idx[self._obs_off[0] : self._obs_off[1]] if len(self._obs_off) > 1 else self._obs_idx[:0]
        return self._src, self._is_herald, self._det_idx, self._det_off, obs0

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
        blocks = len(outcomes)
        if blocks <= FEW_BLOCKS:  # the real-time path: a few µs per block, no per-call stim overhead
            dets = np.empty((blocks, len(self._det_off) - 1), dtype=np.bool_)
            obs = np.empty((blocks, len(self._obs_off) - 1), dtype=np.bool_)
            _detection_events(np.ascontiguousarray(outcomes, np.uint8).reshape(blocks, -1),
                              np.ascontiguousarray(flags, np.uint8).reshape(blocks, -1), self._src, self._is_herald,
                              self._det_idx, self._det_off, self._obs_idx, self._obs_off, dets.view(np.uint8),
                              obs.view(np.uint8))
            return Syndromes(dets, obs)
        erased = flags != 0
        record = self.layout.to_record(np.where(erased, 0, outcomes).astype(np.uint8), erased.view(np.uint8))
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
