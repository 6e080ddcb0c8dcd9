"""The controller's processing, as a state object without sockets: time-tag batches in, feedback out.

Per batch: ingest (time tags -> per-round outcomes and flags), assemble whole memory blocks (a block is the
rounds of one memory experiment of the current code, carried across batches), extract syndromes, decode
(erasure-aware by default), track logical outcomes, feed the policy every `policy_window_blocks` blocks,
and emit feedback: a Pauli-frame update per decoded batch and, when the policy asks, a code switch.

A code switch is agreed, not assumed: the controller asks for it at a block boundary in the device's
future; the device applies it at the first block boundary at or after that round (the same one) and
acknowledges, or refuses it as late. Until the answer arrives, rounds from the requested round on wait as
raw time tags, so no round is ingested or decoded with the wrong code and none is lost.

Degradation, in declared order, when two batches in a row reach `degrade_at_fraction` of the deadline end
to end: level 1 decodes with erasure-unaware matching (cheaper per heralded shot); level 2 also skips the
policy evaluation. Each escalation is counted; the level steps back down after 5 healthy batches.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from controller.block_decode import BlockDecoder
from controller.decode import ErasureDecoder, MatchingDecoder, StreamingDecoder
from controller.decode.heralds import circuit_dem
from controller.ingest import Ingest
from controller.latency import LatencyBudget, LatencyTracker
from controller.syndromes import LayerSyndromes, SyndromeExtractor
from policies import ActionKind, Features, Policy
from protocols.channel_map import channel_map_for_code
from protocols.codes import CodeSpec, build_memory_circuit, layout
from protocols.noise import EffectiveChannel
from protocols.timetags import TIMETAG_DTYPE

_HEALTHY_BATCHES_TO_RECOVER = 5
_NO_QUBITS = np.zeros(0, dtype=np.int32)
_NO_QUBITS.setflags(write=False)
#: Blocks of at least this many rounds per unit of distance are decoded by sliding windows (commit = buffer
#: = d) as their rounds arrive; shorter blocks are decoded whole, many at once, which is faster.
STREAMING_MIN_ROUNDS_PER_DISTANCE = 4


@functools.lru_cache(maxsize=16)
def decoders_for(spec: CodeSpec, belief: EffectiveChannel) -> tuple:
    """Decoding circuit, erasure-aware and plain decoders, and the non-herald detector mask of a code.

    Cached per process: building a d=7 decoder takes about a second, which the loop must not spend mid-run.
    """
    circuit = build_memory_circuit(spec, belief.hooks())
    dem = circuit_dem(circuit)
    coords = circuit.get_detector_coordinates()
    plain = np.array([len(coords[k]) < 4 for k in range(circuit.num_detectors)], dtype=bool)
    return circuit, ErasureDecoder(dem), MatchingDecoder(dem), plain


@dataclass(frozen=True)
class FrameUpdate:
    """Pauli-frame update for the logical qubit at the end of a block: X (or Z) on the logical support."""

    apply_at_round: int
    qubits: np.ndarray  # int32
    pauli: str  # "X" or "Z"


@dataclass(frozen=True)
class SwitchRequest:
    """The policy asks the device to run `spec` from the first block boundary at or after `apply_at_round`."""

    apply_at_round: int
    spec: CodeSpec
    reason: str


@dataclass
class _Code:
    spec: CodeSpec
    start_round: int  # first round of the first block of this code
    frames: int
    ingest: Ingest
    extractor: SyndromeExtractor
    erasure: ErasureDecoder
    matching: MatchingDecoder
    plain: np.ndarray  # bool (num_detectors,): True for non-herald detectors
    support: np.ndarray  # int32: qubits of the logical operator the frame update acts on
    pauli: str
    streaming: StreamingDecoder | None = None  # long blocks: sliding windows, fed layer by layer
    layers: LayerSyndromes | None = None
    block: BlockDecoder | None = None  # one block in one pass (erasure-aware): the real-time case

    @functools.cached_property
    def n_plain(self) -> int:
        """How many non-herald detectors a block has."""
        return int(np.count_nonzero(self.plain))


@dataclass
class Stats:
    """Counters of a run, as the summary reports them."""

    rounds: int = 0
    rounds_lost: int = 0
    rounds_discarded: int = 0
    blocks: int = 0
    logical_errors: int = 0
    incomplete_rounds: int = 0
    missed_events: int = 0
    stray_tags: int = 0
    degradations: dict[str, int] = field(default_factory=lambda: {"matching_decoder": 0, "skip_policy": 0})
    decisions: list[dict] = field(default_factory=list)
    per_distance: dict[int, list[int]] = field(default_factory=dict)  # d -> [blocks, logical errors]


class ControllerPipeline:
    """Configure once (code, channel timing, belief, budget, policy); call `on_batch` per time-tag batch."""

    def __init__(
        self,
        spec: CodeSpec,
        *,
        belief: EffectiveChannel,
        round_period_ps: int,
        window_ps: int,
        epoch_ps: int = 0,
        decoder: str = "erasure",
        budget: LatencyBudget | None = None,
        policy: Policy | None = None,
        policy_window_blocks: int = 200,
        switch_lead_rounds: int = 0,
        streaming_rounds_per_distance: int = STREAMING_MIN_ROUNDS_PER_DISTANCE,
    ) -> None:
        """Prepare decoders for `spec`; the channel map follows from the code (see channel_map_for_code)."""
        self.belief = belief
        self.round_period_ps = int(round_period_ps)
        self.window_ps = int(window_ps)
        self.epoch_ps = int(epoch_ps)
        self.decoder = decoder
        self.latency = LatencyTracker(budget=budget)
        self.policy = policy
        self.policy_window_blocks = int(policy_window_blocks)
        self.switch_lead_rounds = int(switch_lead_rounds)
        self.streaming_rounds_per_distance = int(streaming_rounds_per_distance)  # 0: always whole blocks
        self.stats = Stats()
        self.level = 0
        self._healthy = 0
        self._at_risk = 0
        self._codes: dict[CodeSpec, _Code] = {}
        self.code = self._code_for(spec, 0)
        self.prepare(spec)
        self._s_reset()
        self.expected_round = 0
        self.decoded_rounds = 0  # rounds decoded by the last on_batch / on_switch_answer call
        # Rounds ingested but not decoded yet: rows [0, _buf_rounds) of two (capacity, slots) arrays that
        # ingest writes into directly (a one-round message costs no allocation and a block no concatenation).
        self._buf_o = np.zeros((0, 0), dtype=np.uint8)
        self._buf_f = np.zeros((0, 0), dtype=np.uint8)
        self._buf_start = 0  # first round held in the buffer
        self._buf_rounds = 0
        self._pending: SwitchRequest | None = None
        self._held: list[tuple[int, int, np.ndarray]] = []
        self._window_dets = 0.0
        self._window_flags = 0.0
        self._window_blocks = 0

    # -- codes -------------------------------------------------------------------------------------------
    def prepare(self, spec: CodeSpec) -> None:
        """Build circuits and decoders for `spec` now (before the stream), so a later switch costs nothing."""
        code = self._code_for(spec, 0)
        # Compile (or load from the cache) every kernel the first batch would otherwise compile, with the
        # array layouts the loop uses: read-only, strided field views of a non-empty batch from the wire.
        tags = np.zeros(2, dtype=TIMETAG_DTYPE)
        tags["channel"] = code.ingest.channel_map.rails[0]
        tags.setflags(write=False)
        res = code.ingest(tags, 0, code.frames)
        syn = code.extractor(res.outcomes.reshape(1, code.frames, -1), res.flags.reshape(1, code.frames, -1))
        dets = np.repeat(syn.detectors, 2, axis=0)
        dets[1, ~code.plain] = True  # a shot with heralds takes the erasure-aware solver's path
        code.erasure.decode_batch(dets)
        code.matching.decode_batch(dets)
        code.block(res.outcomes, res.flags)
        if code.streaming is not None:
            code.streaming.push(np.zeros(code.streaming.num_detectors, dtype=np.uint8))
            code.streaming.finish_block(0)

    def _code_for(self, spec: CodeSpec, start_round: int) -> _Code:
        cached = self._codes.get(spec)
        if cached is not None:
            return _Code(**{**cached.__dict__, "start_round": start_round})
        lay = layout(spec)
        qubits = sorted(lay.data_qubits + lay.x_ancillas + lay.z_ancillas)
        cm = channel_map_for_code(qubits, self.round_period_ps, self.window_ps)
        circuit, erasure, matching, plain = decoders_for(spec, self.belief)
        extractor = SyndromeExtractor(circuit, cm)
        # The frame update acts with the operator the memory protects against: X_L in Z basis, Z_L in X.
        if spec.basis == "Z":
            support, pauli = [q for q, _ in lay.logical_x], "X"
        else:
            support, pauli = [q for q, _ in lay.logical_z], "Z"
        support_qubits = np.asarray(support, dtype=np.int32)
        support_qubits.setflags(write=False)  # handed out with every frame update: nobody may change it
        streaming = layers = None
        if self.streaming_rounds_per_distance and spec.rounds >= self.streaming_rounds_per_distance * spec.distance:
            streaming = StreamingDecoder(spec, self.belief, spec.distance, spec.distance,
                                         use_heralds=self.decoder == "erasure")
            layers = LayerSyndromes(circuit, cm)
        code = _Code(
            spec,
            start_round,
            extractor.frames_per_block,
            Ingest(cm, epoch_ps=self.epoch_ps),
            extractor,
            erasure,
            matching,
            plain,
            support_qubits,
            pauli,
            streaming,
            layers,
            BlockDecoder(extractor, erasure),
        )
        self._codes[spec] = code
        return code

    # -- switching ---------------------------------------------------------------------------------------
    def boundary_at_or_after(self, round_index: int) -> int:
        """First block boundary of the current code at or after `round_index`."""
        c = self.code
        k = max(0, -(-(round_index - c.start_round) // c.frames))
        return c.start_round + k * c.frames

    @property
    def next_block_end(self) -> int | None:
        """The round (exclusive) whose arrival completes the block being assembled, for a receive that waits
        for it; None when rounds are decoded as they come (streaming) or wait for a switch's answer."""
        c = self.code
        if c.streaming is not None or self._pending is not None:
            return None
        return self.boundary_at_or_after(max(self.expected_round, c.start_round) + 1)

    def on_switch_answer(self, accepted: bool) -> list:
        """The device's answer to the pending switch (applied at its round, or refused); returns feedback."""
        self.decoded_rounds = 0
        req = self._pending
        self._pending = None
        if req is None:
            return []
        self.stats.decisions.append(
            {
                "round": int(req.apply_at_round),
                "action": "switch_distance",
                "distance": req.spec.distance,
                "accepted": bool(accepted),
                "reason": req.reason,
            }
        )
        out = self._drain_blocks(limit_round=req.apply_at_round)
        if accepted:
            # What is still buffered before the switch is a partial block the device cut short: unusable.
            self.stats.rounds_discarded += self._buf_rounds
            self._buf_rounds = 0
            self.code = self._code_for(req.spec, req.apply_at_round)
            self._s_reset()
        held, self._held = self._held, []
        for first, n, tags in held:
            self._ingest(first, n, tags)
        return out + self._drain_blocks(limit_round=None)

    # -- batches -----------------------------------------------------------------------------------------
    def on_batch(self, first_round: int, n_rounds: int, tags: np.ndarray, t_arrival_ns: int | None = None) -> list:
        """Process one batch of rounds; returns feedback (FrameUpdate and SwitchRequest objects) to send."""
        if n_rounds <= 0:
            return []
        if first_round < self.expected_round:
            self.stats.rounds_discarded += n_rounds  # a duplicate or out-of-order batch
            return []
        if first_round > self.expected_round:
            self._lose(first_round - self.expected_round)
        self.decoded_rounds = 0
        self.expected_round = first_round + n_rounds
        self.stats.rounds += n_rounds
        t_ingest = time.perf_counter_ns()
        if self._pending is not None and first_round + n_rounds > self._pending.apply_at_round:
            # Rounds from the requested switch on wait, as raw tags, for the device's answer.
            r = max(first_round, self._pending.apply_at_round)
            cut = int(np.searchsorted(tags["time_ps"], self.epoch_ps + r * self.round_period_ps))
            self._held.append((r, first_round + n_rounds - r, tags[cut:]))
            tags, n_rounds = tags[:cut], r - first_round
        if n_rounds:
            self._ingest(first_round, n_rounds, tags)
        t_decode = time.perf_counter_ns()
        out = self._drain_blocks(limit_round=self._pending.apply_at_round if self._pending else None)
        t_policy = time.perf_counter_ns()
        if self.level < 2:
            out += self._maybe_policy()
        t_done = time.perf_counter_ns()
        self.latency.record_steps(t_decode - t_ingest, t_policy - t_decode, t_done - t_policy)
        return out

    def _ingest(self, first_round: int, n_rounds: int, tags: np.ndarray) -> None:
        """Ingest rounds [first_round, first_round + n_rounds) with the current code into the buffer."""
        ingest = self.code.ingest
        k = self._buf_rounds
        o, f = self._buf_o, self._buf_f
        if o.shape[0] < k + n_rounds or o.shape[1] != ingest.n_slots:
            o, f = self._grow(k + n_rounds, ingest.n_slots)
        stray, missed, incomplete = ingest.into(tags, first_round, o[k : k + n_rounds], f[k : k + n_rounds])
        st = self.stats
        st.stray_tags += stray
        st.missed_events += missed
        st.incomplete_rounds += incomplete
        if not k:
            self._buf_start = first_round
        self._buf_rounds = k + n_rounds

    def _grow(self, rounds: int, n_slots: int) -> tuple[np.ndarray, np.ndarray]:
        """Room for `rounds` buffered rounds of `n_slots` slots (the held rounds kept; a new code has none)."""
        k = self._buf_rounds if self._buf_o.shape[1] == n_slots else 0
        cap = max(rounds, 2 * self._buf_o.shape[0], 64)
        o = np.empty((cap, n_slots), dtype=np.uint8)
        f = np.empty((cap, n_slots), dtype=np.uint8)
        if k:
            o[:k] = self._buf_o[:k]
            f[:k] = self._buf_f[:k]
        self._buf_o, self._buf_f = o, f
        return o, f

    def record_sent(self, t_arrival_ns: int, t_sent_ns: int, rounds: int) -> None:
        """Record end-to-end latency of a batch's rounds (arrival of its last event -> feedback sent)."""
        e2e = t_sent_ns - t_arrival_ns
        self.latency.record("end_to_end", float(e2e), rounds)
        b = self.latency.budget
        if b is None:
            return
        if e2e > b.degrade_at_fraction * b.deadline_us * 1e3:
            self._healthy = 0
            self._at_risk += 1
            # One slow batch can be the machine, not the load: degrade when two in a row are at risk.
            if self.level < 2 and self._at_risk >= 2:
                self._at_risk = 0
                self.level += 1
                key = "matching_decoder" if self.level == 1 else "skip_policy"
                self.stats.degradations[key] += 1
        else:
            self._at_risk = 0
            self._healthy += 1
            if self.level and self._healthy >= _HEALTHY_BATCHES_TO_RECOVER:
                self.level -= 1
                self._healthy = 0

    def _lose(self, gap: int) -> None:
        """Rounds that never arrived: count them and drop the partial block they break."""
        self.stats.rounds_lost += gap
        if self.code.streaming is not None and self._s_frame:
            self.stats.rounds_discarded += self._s_frame
            self.code.streaming.abandon_block()
            self._s_reset()
        self.stats.rounds_discarded += self._buf_rounds
        self._buf_rounds = 0

    def _buffered(self) -> tuple[np.ndarray, np.ndarray]:
        """Outcomes and flags of every buffered round, as two (rounds, slots) views of the buffer."""
        k = self._buf_rounds
        return self._buf_o[:k], self._buf_f[:k]

    def _aligned(self, outs: np.ndarray, flags: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Drop buffered rounds before the code's next block boundary (after a gap they are unusable)."""
        c = self.code
        skip = (c.start_round - start) % c.frames if start >= c.start_round else c.start_round - start
        skip = min(skip, len(outs))
        if skip:
            self.stats.rounds_discarded += skip
            outs, flags, start = outs[skip:], flags[skip:], start + skip
        return outs, flags, start

    def _keep(self, start: int) -> None:
        """Keep the buffered rounds from round `start` on (the ones not consumed yet) as the buffer."""
        row = start - self._buf_start  # buffered rounds are consecutive: round r sits in row r - _buf_start
        k = self._buf_rounds - row
        if k and row:  # move the rows left to the front
            self._buf_o[:k] = self._buf_o[row : row + k]
            self._buf_f[:k] = self._buf_f[row : row + k]
        self._buf_rounds = k
        self._buf_start = start

    def _drain_blocks(self, limit_round: int | None) -> list:
        """Decode every whole block in the buffer (ending at or before `limit_round` if given)."""
        if not self._buf_rounds:
            return []
        if self.code.streaming is not None:
            return self._drain_streaming(limit_round)
        c = self.code
        if self._buf_rounds < c.frames:  # not a whole block yet (alignment only drops rounds): nothing to do
            return []
        outs, flags = self._buffered()
        outs, flags, start = self._aligned(outs, flags, self._buf_start)
        end = start + len(outs)
        if limit_round is not None:
            end = min(end, max(start, limit_round))
        n_blocks = (end - start) // c.frames
        used = n_blocks * c.frames
        feedback: list = []
        self.decoded_rounds += used
        if n_blocks == 1 and self.decoder == "erasure" and self.level == 0:
            # One block (what a one-round message completes): one compiled pass and one solve.
            res = c.block(outs[:used], flags[:used])
            self._count_blocks(1, int(res.predicted != res.measured), res.plain_events / c.n_plain,
                               res.flagged_slots / outs[:used].size)
            feedback.append(FrameUpdate(start + used, c.support if res.predicted else _NO_QUBITS, c.pauli))
        elif n_blocks:
            S = outs.shape[1]
            o = outs[:used].reshape(n_blocks, c.frames, S)
            f = flags[:used].reshape(n_blocks, c.frames, S)
            syn = c.extractor(o, f)
            dec = c.erasure if (self.decoder == "erasure" and self.level == 0) else c.matching
            pred = dec.decode_batch(syn.detectors)
            # Event densities per block, summed over blocks (counts: no fancy indexing or float means).
            self._count_blocks(n_blocks, int(np.count_nonzero(pred[:, 0] != syn.observables[:, 0])),
                               np.count_nonzero(syn.detectors & c.plain) / c.n_plain,
                               np.count_nonzero(f) / (c.frames * S))
            feedback.append(FrameUpdate(start + used, c.support if pred[-1, 0] else _NO_QUBITS, c.pauli))
        self._keep(start + used)
        return feedback

    def _count_blocks(self, n_blocks: int, failures: int, event_density: float, flag_density: float) -> None:
        """Account decoded blocks: counts, failures per distance, and the densities (summed over the blocks)
        the policy's window averages."""
        st = self.stats
        st.blocks += n_blocks
        st.logical_errors += failures
        per = st.per_distance.setdefault(self.code.spec.distance, [0, 0])
        per[0] += n_blocks
        per[1] += failures
        self._window_dets += event_density
        self._window_flags += flag_density
        self._window_blocks += n_blocks

    def _s_reset(self) -> None:
        """Start a new streamed block: empty record, no frame received, no event counts."""
        lay = self.code.layers.layout if self.code.layers is not None else None
        self._s_record = np.zeros((lay.num_measurements + 1) if lay is not None else 1, dtype=np.uint8)
        self._s_frame = 0
        self._s_counts = [0, 0, 0, 0]  # plain detector events, plain detectors, flagged slots, slots

    def _drain_streaming(self, limit_round: int | None) -> list:
        """Feed buffered rounds to the sliding-window decoder layer by layer; close blocks as they end."""
        c = self.code
        lay, syn, dec = c.layers.layout, c.layers, c.streaming
        outs, flags = self._buffered()
        start = self._buf_start
        if self._s_frame == 0:  # not inside a block
            outs, flags, start = self._aligned(outs, flags, start)
        end = start + len(outs)
        if limit_round is not None:
            end = min(end, max(start, limit_round))
        pos, feedback, committed = start, [], None
        while pos < end:
            f = self._s_frame
            take = min(c.frames - f, end - pos)
            o = outs[pos - start : pos - start + take]
            erased = flags[pos - start : pos - start + take] != 0
            rec = self._s_record
            oi, hi = lay.outcome_index[f : f + take], lay.herald_index[f : f + take]
            m = oi >= 0
            rec[oi[m]] = np.where(erased, 0, o)[m]
            m = hi >= 0
            rec[hi[m]] = erased[m]
            ev = syn.layers(rec, f, f + take)
            plain = c.plain[syn.bounds[f] : syn.bounds[f + take]]
            cnt = self._s_counts
            cnt[0] += int(ev[plain].sum())
            cnt[1] += int(plain.sum())
            cnt[2] += int(erased.sum())
            cnt[3] += erased.size
            res = dec.push(ev)
            if res.n_regions:
                committed = res
            self._s_frame += take
            pos += take
            if self._s_frame == c.frames:
                br = dec.finish_block(syn.measured_observable(rec))
                committed = br.commits
                self._count_blocks(1, br.outcome, cnt[0] / max(cnt[1], 1), cnt[2] / max(cnt[3], 1))
                self._s_reset()
        if committed is not None:
            feedback.append(FrameUpdate(pos, c.support if committed.frame else _NO_QUBITS, c.pauli))
        self.decoded_rounds += pos - start
        self._keep(pos)
        return feedback

    def _maybe_policy(self) -> list:
        if self.policy is None or self._window_blocks < self.policy_window_blocks or self._pending is not None:
            return []
        n = self._window_blocks
        st = self.stats
        feats = Features(
            round_index=self.expected_round,
            distance=self.code.spec.distance,
            detection_event_density=self._window_dets / n,
            erasure_fraction=self._window_flags / n,
            logical_error_rate=st.logical_errors / st.blocks if st.blocks else math.nan,
            latency_fraction=0.0,
        )
        self._window_dets = self._window_flags = 0.0
        self._window_blocks = 0
        action = self.policy.decide(feats)
        if action.kind is not ActionKind.SWITCH_DISTANCE:
            return []
        s = self.code.spec
        new = CodeSpec(s.family, action.distance, action.distance if s.rounds == s.distance else s.rounds, s.basis)
        req = SwitchRequest(self.boundary_at_or_after(self.expected_round + self.switch_lead_rounds), new, action.reason)
        self._pending = req
        return [req]

    def summary(self) -> dict:
        """The run's figures: counts, logical error rate with its 95 % Wilson interval, latency percentiles."""
        st = self.stats
        lo, hi = wilson_interval(st.logical_errors, st.blocks)
        return {
            "rounds": st.rounds,
            "rounds_lost": st.rounds_lost,
            "rounds_discarded": st.rounds_discarded,
            "blocks": st.blocks,
            "logical_errors": st.logical_errors,
            "logical_error_rate": {
                "per_block": st.logical_errors / st.blocks if st.blocks else None,
                "interval_95": [lo, hi],
            },
            "per_distance": {
                str(d): {"blocks": b, "logical_errors": e, "logical_error_rate": e / b if b else None}
                for d, (b, e) in sorted(st.per_distance.items())
            },
            "latency_us": self.latency.summary_us(),
            "deadline_misses": self.latency.deadline_misses,
            "degradations": dict(st.degradations),
            "missed_events": st.missed_events,
            "incomplete_rounds": st.incomplete_rounds,
            "stray_tags": st.stray_tags,
            "decisions": list(st.decisions),
        }


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float | None, float | None]:
    """The Wilson score interval for k successes in n trials (None when n == 0)."""
    if n == 0:
        return None, None
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)
