"""One memory block, from its readout frames to the predicted observable, in one compiled pass and one solve.

The real-time loop's block-completing step. `SyndromeExtractor` followed by `ErasureDecoder.decode_batch`
gives the same answer for any number of blocks; for the single block a one-round message completes, their
separate steps (two kernels, the detector and observable arrays, the event counts the policy reads, the
shot checks) cost several times their arithmetic on a loaded machine, where every Python call and numpy
temporary is paid again with cold caches. Here one kernel goes from frames to the record, the detectors,
the measured observable, the event counts, the defects and the opened edges' conditional weights; what is
left is fusion-blossom's solve (or PyMatching when no herald fired). Results are identical to the two-step
path (tests/controller/test_block_decode.py checks every block of sampled runs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from controller.decode import ErasureDecoder
from controller.decode.erasure import conditional_weights, shot_inputs
from controller.syndromes import SyndromeExtractor, block_record_and_detectors
from protocols.errors import DecodeError


@dataclass(frozen=True)
class BlockResult:
    """What the loop needs from one decoded block."""

    predicted: int  # predicted flip of observable 0 (0 or 1)
    measured: int  # observable 0 as read out (0 or 1)
    plain_events: int  # detection events on non-herald detectors
    flagged_slots: int  # frame slots flagged by ingest (no click, both rails, or an incomplete round)


@numba.njit(cache=True, nogil=True)
def _block_pass(outcomes, flags, src, is_herald, det_idx, det_off, obs_idx, keep, herald_cols, isolated,
                hp, hi, hd, acc, touched, one_minus_2p, half_scale, dets):  # pragma: no cover - compiled
    """One block: dets (full detector order) filled; returns (defects, opened edges, their even integer
    weights, fired heralds (-1: an isolated detector fired), measured observable 0, plain events, flagged
    slots). outcomes, flags: uint8 (frames * slots,); the tables follow in the order of
    SyndromeExtractor.block_tables + ErasureDecoder.shot_tables. The steps are the two-step path's kernels."""
    rec = np.empty(len(src), np.uint8)
    block_record_and_detectors(outcomes, flags, src, is_herald, det_idx, det_off, rec, dets)
    measured = 0
    for j in range(len(obs_idx)):
        measured ^= rec[obs_idx[j]]
    flagged = 0
    for i in range(len(flags)):
        flagged += flags[i] != 0
    plain_events = 0  # the kept detectors are exactly the non-herald ones
    for j in range(len(keep)):
        plain_events += dets[keep[j]]
    defects, idx, logs, fired = shot_inputs(dets, keep, herald_cols, isolated, hp, hi, hd, acc, touched)
    return defects, idx, conditional_weights(idx, logs, one_minus_2p, half_scale), fired, measured, plain_events, flagged


class BlockDecoder:
    """Configure once per code (its extractor and erasure-aware decoder); call on each completed block."""

    def __init__(self, extractor: SyndromeExtractor, erasure: ErasureDecoder) -> None:
        """Take the tables of `extractor` and `erasure` (they must describe the same circuit)."""
        if extractor.circuit.num_detectors != erasure.num_detectors:
            raise DecodeError(f"block decoder: the extractor's circuit has {extractor.circuit.num_detectors} "
                              f"detectors, the decoder's model {erasure.num_detectors}")
        self._erasure = erasure
        self._n_slots = extractor.layout.n_frames * extractor.layout.n_slots
        self._tables = (*extractor.block_tables(), *erasure.shot_tables())
        self._dets = np.zeros(erasure.num_detectors, dtype=np.uint8)
        self._keep = erasure.model.kept_detectors

    def __call__(self, outcomes: np.ndarray, flags: np.ndarray) -> BlockResult:
        """Decode one block from uint8 outcomes and flags of shape (frames, slots)."""
        if outcomes.size != self._n_slots or flags.size != self._n_slots:
            raise DecodeError(f"block decoder: expected {self._n_slots} frame slots, got {outcomes.size} outcomes "
                              f"and {flags.size} flags")
        e, dets = self._erasure, self._dets
        defects, edges, weights, fired, measured, plain, flagged = _block_pass(
            outcomes.reshape(-1), flags.reshape(-1), *self._tables, dets)
        if fired < 0:  # an event the model cannot explain: the general path names it
            e.decode_batch(dets.view(np.bool_)[None])
            raise DecodeError("block decoder: an isolated detector fired")  # pragma: no cover - raised above
        if fired:
            x = e.solve_shot(defects, edges, weights)
        else:
            x = e.match_plain(dets[self._keep]) if len(defects) else 0
        return BlockResult(x & 1, int(measured), int(plain), int(flagged))
