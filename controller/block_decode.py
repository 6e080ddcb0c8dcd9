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
from controller.syndromes import SyndromeExtractor
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
    slots). outcomes, flags: uint8 (frames * slots,)."""
    rec = np.empty(len(src), np.uint8)
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
    measured = 0
    for j in range(len(obs_idx)):
        measured ^= rec[obs_idx[j]]
    flagged = 0
    for i in range(len(flags)):
        flagged += flags[i] != 0
    n = 0
    for j in range(len(keep)):
        n += dets[keep[j]]
    plain_events = n  # kept detectors are exactly the non-herald ones
    for j in range(len(isolated)):
        if dets[keep[isolated[j]]]:
            return (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), -1, measured,
                    plain_events, flagged)
    defects = np.empty(n, np.int64)
    n = 0
    for j in range(len(keep)):
        if dets[keep[j]]:
            defects[n] = j
            n += 1
    # Opened edges of the fired heralds (ascending) with their summed log factors, as _opened_edges does.
    nf = 0
    m = 0
    for h in range(len(herald_cols)):
        if dets[herald_cols[h]]:
            nf += 1
            m += hp[h + 1] - hp[h]
    idx = np.empty(m, np.int64)
    k = 0
    for h in range(len(herald_cols)):
        if dets[herald_cols[h]]:
            for j in range(hp[h], hp[h + 1]):
                e = hi[j]
                if not touched[e]:
                    touched[e] = True
                    idx[k] = e
                    k += 1
                acc[e] += hd[j]
    idx = np.sort(idx[:k])
    weights = np.empty(k, np.int64)
    for j in range(k):
        e = idx[j]
        q = 0.5 * (1.0 - np.exp(acc[e]) * one_minus_2p[e])
        w = np.log1p(-q) - np.log(q)
        weights[j] = max(2 * np.rint(w * half_scale), 0)
        acc[e] = 0.0
        touched[e] = False
    return defects, idx, weights, nf, measured, plain_events, flagged


class BlockDecoder:
    """Configure once per code (its extractor and erasure-aware decoder); call on each completed block."""

    def __init__(self, extractor: SyndromeExtractor, erasure: ErasureDecoder) -> None:
        """Take the tables of `extractor` and `erasure` (they must describe the same circuit)."""
        if extractor.circuit.num_detectors != erasure.num_detectors:
            raise DecodeError(f"block decoder: the extractor's circuit has {extractor.circuit.num_detectors} "
                              f"detectors, the decoder's model {erasure.num_detectors}")
        self._extractor, self._erasure = extractor, erasure
        self._n_slots = extractor.layout.n_frames * extractor.layout.n_slots
        e, x = erasure, extractor
        self._tables = (x._src, x._is_herald, x._det_idx, x._det_off,
                        x._obs_idx[x._obs_off[0] : x._obs_off[1]] if len(x._obs_off) > 1 else x._obs_idx[:0],
                        e._keep, e._herald_cols, e._isolated, *e._he, e._acc, e._touched, e._one_minus_2p)
        self._dets = np.zeros(erasure.num_detectors, dtype=np.uint8)
        self._obs = erasure.graph.observables
        self._base = erasure._base

    def __call__(self, outcomes: np.ndarray, flags: np.ndarray) -> BlockResult:
        """Decode one block from uint8 outcomes and flags of shape (frames, slots), C-contiguous."""
        if outcomes.size != self._n_slots or flags.size != self._n_slots:
            raise DecodeError(f"block decoder: expected {self._n_slots} frame slots, got {outcomes.size} outcomes "
                              f"and {flags.size} flags")
        e = self._erasure
        dets = self._dets
        defects, edges, weights, fired, measured, plain, flagged = _block_pass(
            outcomes.reshape(-1), flags.reshape(-1), *self._tables, e._scale / 2, dets)
        if fired < 0:  # an event the model cannot explain: the general path names it
            e.decode_batch(dets.view(np.bool_)[None])
            raise DecodeError("block decoder: an isolated detector fired")  # pragma: no cover - raised above
        if not fired:
            pred = self._base.decode(dets[e._keep]) if len(defects) else None
            x = int(pred[0]) if pred is not None and len(pred) else 0
        elif len(defects):
            x = e._solve(defects.tolist(), list(zip(edges.tolist(), weights.tolist(), strict=True)), 0) & 1
        else:
            x = 0
        return BlockResult(x, int(measured), int(plain), int(flagged))
