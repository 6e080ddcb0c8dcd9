"""The readout stage: per-round measurement outcomes -> detector clicks -> time-tag records.

Who decides what (so that no loss is counted twice):
- `present[r, q] == 0` means the photon of measurement q never reached its detector (source, channel,
  gate or storage loss: the heralded erasures sampled upstream). Then neither rail clicks, except by a
  dark count or an afterpulse.
- The detector is applied HERE, once: a present photon clicks its rail with probability `efficiency`, and
  dark counts add clicks on any rail. So the circuit whose outcomes feed this stage must carry only the
  noise before the detector: its heralded `erasure` (upstream loss) becomes `present`, but the
  detector-caused `measurement_erasure` and `measurement_flip` of `emulator.physics.effective` must be left
  out of it (they re-emerge here as no-click, double-click and wrong-rail events). If an upstream model
  folds the detector efficiency into its erasures instead, build this stage with `efficiency=1.0`.

The detectors are free running: dark counts are a Poisson process on every channel over the whole batch
window, not only inside gates; gating is the ingest's business (it bins clicks into windows around the
slots). A click less than the dead time after the previous registered click on its channel is lost
(non-paralyzable). Each registered click, an afterpulse included, is followed with probability
`afterpulse_prob` by an afterpulse once the detector has re-armed: at dead time + an exponential delay
of mean `afterpulse_delay_ps`.

Order: each batch is sorted by time_ps. Consecutive batches are in order too as long as every slot keeps a
few jitter sigmas away from the round edges (dark counts and carried afterpulses always fall inside their
batch's window [first round start, last round end)).

Determinism: batch b of a stage built with seed s draws from its own xoshiro256** stream seeded from
(s, b), so the output depends only on the seed, the construction arguments and the batches fed in.
"""

from __future__ import annotations

import sys

import numpy as np

from emulator.physics.detectors import DetectorParams
from emulator.readout._kernel import readout_batch
from protocols.errors import ConfigError
from protocols.timetags import TIMETAG_DTYPE

_NO_CLICK = -(2**62)
_INT32_MAX = 2**31 - 1

if sys.byteorder != "little":  # the kernel packs records as native int64 words
    raise ImportError("emulator.readout needs a little-endian machine for zero-copy time-tag records")


def _per_channel(name: str, value, n_ch: int, lo: float, hi: float, dtype) -> np.ndarray:
    """Broadcast a scalar or check a per-channel array, and its range [lo, hi]."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n_ch, float(arr))
    if arr.shape != (n_ch,):
        raise ConfigError(f"readout: {name} has shape {arr.shape}; expected a scalar or ({n_ch},), one per channel")
    bad = ~np.isfinite(arr) | (arr < lo) | (arr > hi)
    if bad.any():
        raise ConfigError(f"readout: {name} = {arr[bad][0]!r} is out of range; allowed range: [{lo}, {hi}]")
    return np.ascontiguousarray(arr, dtype=dtype)


def _per_round(name: str, value: np.ndarray | None, n_rounds: int, default: float) -> np.ndarray:
    """A float64 (n_rounds,) array of finite values >= 0 (`default` everywhere when None)."""
    if value is None:
        return np.full(n_rounds, default)
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.shape != (n_rounds,):
        raise ConfigError(f"readout: {name} has shape {arr.shape}; expected ({n_rounds},), one per round")
    if not (np.isfinite(arr).all() and (arr >= 0).all()):
        raise ConfigError(f"readout: {name} must be finite and >= 0; got min {arr.min()!r}")
    return arr


class ReadoutStage:
    """Configure once, call per batch: outcomes of consecutive batches of rounds -> time-tag records.

    Args:
        channel_map: int (n_meas, 2): detector channel id of rail 0 (outcome 0) and rail 1 (outcome 1) of
            each measurement slot of a round. Ids are any int32 >= 0; several slots may share channels.
        slot_ps: int (n_meas,): time of each measurement within its round, in ps, in [0, round_period_ps).
        round_period_ps: duration of one round in ps; round r of the stream starts at r * round_period_ps.
        efficiency, dark_rate_hz, jitter_sigma_ps, dead_time_ps, afterpulse_prob, afterpulse_delay_ps:
            detector parameters, each a scalar or an array over `self.channels` (sorted unique ids).
        max_tags: at most this many TAG records per batch; the rest are reported as missed events.
        seed: seed of the whole stream.
        start_round: index of the first round the first batch holds (sets the time origin).
    """

    def __init__(
        self,
        channel_map: np.ndarray,
        slot_ps: np.ndarray,
        round_period_ps: int,
        *,
        efficiency: float | np.ndarray = 1.0,
        dark_rate_hz: float | np.ndarray = 0.0,
        jitter_sigma_ps: float | np.ndarray = 0.0,
        dead_time_ps: float | np.ndarray = 0.0,
        afterpulse_prob: float | np.ndarray = 0.0,
        afterpulse_delay_ps: float | np.ndarray = 0.0,
        max_tags: int = _INT32_MAX,
        seed: int = 0,
        start_round: int = 0,
    ) -> None:
        cmap = np.asarray(channel_map)
        if cmap.ndim != 2 or cmap.shape[1] != 2 or cmap.shape[0] == 0:
            raise ConfigError(f"readout: channel_map has shape {cmap.shape}; expected (n_meas >= 1, 2)")
        if cmap.min() < 0 or cmap.max() > _INT32_MAX:
            raise ConfigError(f"readout: channel ids must lie in [0, {_INT32_MAX}]; got [{cmap.min()}, {cmap.max()}]")
        self.round_period_ps = int(round_period_ps)
        if self.round_period_ps <= 0:
            raise ConfigError(f"readout: round_period_ps = {round_period_ps!r}; allowed range: > 0")
        slots = np.asarray(slot_ps, dtype=np.int64)
        if slots.shape != (cmap.shape[0],):
            raise ConfigError(f"readout: slot_ps has shape {slots.shape}; expected ({cmap.shape[0]},)")
        if slots.min() < 0 or slots.max() >= self.round_period_ps:
            raise ConfigError(
                f"readout: slot_ps spans [{slots.min()}, {slots.max()}]; allowed range: [0, {self.round_period_ps})"
            )
        if int(max_tags) < 0:
            raise ConfigError(f"readout: max_tags = {max_tags!r}; allowed range: >= 0")
        if not 0 <= int(seed) < 2**64:
            raise ConfigError(f"readout: seed = {seed!r}; allowed range: [0, 2**64)")
        self.channels = np.unique(cmap).astype(np.int32)
        self.channel_map = cmap.astype(np.int32)
        self.slot_ps = slots
        self.n_meas = cmap.shape[0]
        n_ch = self.channels.shape[0]
        self._dense_map = np.ascontiguousarray(np.searchsorted(self.channels, cmap).astype(np.int32))
        self._slot_order = np.argsort(slots, kind="stable").astype(np.int64)
        self.efficiency = _per_channel("efficiency", efficiency, n_ch, 0.0, 1.0, np.float64)
        self.dark_rate_hz = _per_channel("dark_rate_hz", dark_rate_hz, n_ch, 0.0, 1e12, np.float64)
        self.jitter_sigma_ps = _per_channel("jitter_sigma_ps", jitter_sigma_ps, n_ch, 0.0, 1e9, np.float64)
        self.dead_time_ps = _per_channel("dead_time_ps", dead_time_ps, n_ch, 0.0, 1e15, np.float64)
        self.afterpulse_prob = _per_channel("afterpulse_prob", afterpulse_prob, n_ch, 0.0, 0.99, np.float64)
        self.afterpulse_delay_ps = _per_channel("afterpulse_delay_ps", afterpulse_delay_ps, n_ch, 0.0, 1e15, np.float64)
        self._dead_i64 = np.round(self.dead_time_ps).astype(np.int64)
        self._dark_per_ps = self.dark_rate_hz * 1e-12
        self.max_tags = int(max_tags)
        self.seed = int(seed)
        self.next_round = int(start_round)
        self._batch = 0
        self._last_click = np.full(n_ch, _NO_CLICK, dtype=np.int64)
        self._carry_t = np.empty(0, dtype=np.int64)
        self._carry_c = np.empty(0, dtype=np.int32)
        self._work_t = np.empty(0, dtype=np.int64)
        self._work_c = np.empty(0, dtype=np.int32)

    @classmethod
    def from_detector(
        cls,
        detector: DetectorParams,
        channel_map: np.ndarray,
        slot_ps: np.ndarray,
        round_period_ps: int,
        *,
        max_tags: int = _INT32_MAX,
        seed: int = 0,
        start_round: int = 0,
    ) -> ReadoutStage:
        """A stage whose every channel has the calibration `detector` (units converted from its field names)."""
        return cls(
            channel_map,
            slot_ps,
            round_period_ps,
            efficiency=detector.efficiency,
            dark_rate_hz=detector.dark_count_rate_hz,
            jitter_sigma_ps=detector.jitter_sigma_ps,
            dead_time_ps=detector.dead_time_ns * 1e3,
            afterpulse_prob=detector.afterpulse_probability,
            afterpulse_delay_ps=detector.afterpulse_delay_ns * 1e3,
            max_tags=max_tags,
            seed=seed,
            start_round=start_round,
        )

    def emit(
        self,
        outcomes: np.ndarray,
        present: np.ndarray | None = None,
        dark_scale: np.ndarray | None = None,
        dark_extra_hz: np.ndarray | None = None,
    ) -> np.ndarray:
        """Time tags (TIMETAG_DTYPE, sorted by time_ps) of the next batch of rounds.

        Args:
            outcomes: bool or uint8 (n_rounds, n_meas), values 0/1: the measured value of each slot.
            present: bool or uint8 (n_rounds, n_meas): 0 where the photon was lost before the detector;
                None means every photon arrives.
            dark_scale: float (n_rounds,) >= 0: factor on every channel's dark rate in each round (detector
                temperature, bias); None means 1.
            dark_extra_hz: float (n_rounds,) >= 0: dark rate added to every channel in each round (stray
                light episodes), in Hz; None means 0.

        Returns records of type TAG, and when more than `max_tags` clicks were registered, OVERFLOW_BEGIN
        (time of the first missed click), OVERFLOW_END (time of the last) and one MISSED_EVENTS record per
        channel and 65535 missed clicks (channel -1 on the overflow records). Afterpulses due after the
        batch are emitted with the next batch; dead time carries over too.
        """
        out = self._as_bits("outcomes", outcomes)
        n_rounds = out.shape[0]
        pres = np.ones_like(out) if present is None else self._as_bits("present", present)
        if pres.shape != out.shape:
            raise ConfigError(f"readout: present has shape {pres.shape}; expected {out.shape} like outcomes")
        scale = _per_round("dark_scale", dark_scale, n_rounds, 1.0)
        extra = _per_round("dark_extra_hz", dark_extra_hz, n_rounds, 0.0) * 1e-12
        need = out.size
        if self._work_t.shape[0] < need:
            self._work_t = np.empty(need, dtype=np.int64)
            self._work_c = np.empty(need, dtype=np.int32)
        batch_seed = np.random.SeedSequence([self.seed, self._batch]).generate_state(1, np.uint64)[0]
        words, self._carry_t, self._carry_c = readout_batch(
            out,
            pres,
            self._dense_map,
            self._slot_order,
            self.slot_ps,
            np.int64(self.round_period_ps),
            np.int64(self.next_round * self.round_period_ps),
            self.channels,
            self.efficiency,
            self._dark_per_ps,
            scale,
            extra,
            self.jitter_sigma_ps,
            self._dead_i64,
            self.afterpulse_prob,
            self.afterpulse_delay_ps,
            self._last_click,
            self._carry_t,
            self._carry_c,
            self._work_t,
            self._work_c,
            np.uint64(batch_seed),
            np.int64(self.max_tags),
        )
        self._batch += 1
        self.next_round += n_rounds
        return words.view(TIMETAG_DTYPE)

    def _as_bits(self, name: str, a: np.ndarray) -> np.ndarray:
        """A C-contiguous uint8 (n_rounds, n_meas) view or copy of 0/1 values."""
        a = np.asarray(a)
        if a.ndim != 2 or a.shape[1] != self.n_meas:
            raise ConfigError(f"readout: {name} has shape {a.shape}; expected (n_rounds, {self.n_meas})")
        if a.dtype == np.bool_:
            return np.ascontiguousarray(a).view(np.uint8)
        if a.dtype != np.uint8:
            raise ConfigError(f"readout: {name} has dtype {a.dtype}; expected bool or uint8")
        a = np.ascontiguousarray(a)
        if a.size and a.max() > 1:
            raise ConfigError(f"readout: {name} holds the value {int(a.max())}; allowed values: 0 and 1")
        return a
