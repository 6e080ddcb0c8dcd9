"""Latency accounting: per-stage monotonic timestamps, streaming histograms, percentiles, deadline misses.

Latency of round k runs from the arrival of the last event needed for round k to the moment the feedback that
depends on it is sent. The loop stamps each stage with `time.perf_counter_ns()` (monotonic) and records the
differences here. Histograms use log-spaced bins (about 1% relative resolution from 10 ns to 10 s), so memory
is fixed however long the run, and percentiles are exact to within one bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydantic

from protocols.config import StrictModel, load_config

STAGES = ("receive", "ingest", "decode", "policy", "send", "end_to_end")

_LO_NS = 10.0
_HI_NS = 1e10
_BINS_PER_DECADE = 230  # 10**(1/230) - 1 = 1.0 %: one bin is one percent wide
_N_BINS = int(np.ceil(np.log10(_HI_NS / _LO_NS) * _BINS_PER_DECADE)) + 2  # + underflow and overflow


class LatencyBudget(StrictModel):
    """Latency budget from configs/budgets/*.yaml: per-round deadline and percentile limits, in microseconds."""

    name: str = pydantic.Field(min_length=1)
    deadline_us: float = pydantic.Field(gt=0, le=1e7, description="end-to-end deadline per round")
    p50_us: float = pydantic.Field(gt=0, le=1e7)
    p99_us: float = pydantic.Field(gt=0, le=1e7)
    max_deadline_miss_fraction: float = pydantic.Field(ge=0, le=1)
    degrade_at_fraction: float = pydantic.Field(
        default=0.8, gt=0, le=1, description="degrade when a round's cost reaches this fraction of the deadline"
    )


def load_budget(path: str | Path) -> LatencyBudget:
    """Load a latency budget YAML file into a validated LatencyBudget."""
    return load_config(path, LatencyBudget)


@dataclass
class Histogram:
    """A streaming histogram of durations in nanoseconds with fixed log-spaced bins."""

    counts: np.ndarray = field(default_factory=lambda: np.zeros(_N_BINS, dtype=np.int64))
    total: int = 0
    max_ns: float = 0.0

    def add(self, durations_ns: np.ndarray | float, weights: np.ndarray | None = None) -> None:
        """Record one duration or an array of durations (ns), each `weights` times if given."""
        if isinstance(durations_ns, (int, float)):
            # One sample per stage per batch is the loop's common case: no numpy on that path.
            x = float(durations_ns)
            k = int(math.floor(math.log10(max(x, 1e-3) / _LO_NS) * _BINS_PER_DECADE)) + 1
            self.counts[min(max(k, 0), _N_BINS - 1)] += 1
            self.total += 1
            if x > self.max_ns:
                self.max_ns = x
            return
        d = np.atleast_1d(np.asarray(durations_ns, dtype=np.float64))
        if d.size == 0:
            return
        idx = np.floor(np.log10(np.maximum(d, 1e-3) / _LO_NS) * _BINS_PER_DECADE).astype(np.int64) + 1
        np.clip(idx, 0, _N_BINS - 1, out=idx)
        if weights is None:
            self.counts += np.bincount(idx, minlength=_N_BINS)
            self.total += d.size
        else:
            self.counts += np.bincount(idx, weights=weights, minlength=_N_BINS).astype(np.int64)
            self.total += int(np.sum(weights))
        self.max_ns = max(self.max_ns, float(d.max()))

    def quantile_ns(self, q: float) -> float:
        """The q-quantile (0..1) in ns: upper edge of the bin that holds it (conservative), NaN when empty."""
        if self.total == 0:
            return float("nan")
        rank = q * self.total
        k = int(np.searchsorted(np.cumsum(self.counts), max(rank, 1), side="left"))
        if k == 0:
            return _LO_NS
        if k >= _N_BINS - 1:
            return self.max_ns
        return min(_LO_NS * 10 ** (k / _BINS_PER_DECADE), self.max_ns)

    def summary_us(self) -> dict[str, float]:
        """p50, p99, p99.9 and max in microseconds, plus the count."""
        return {
            "p50": self.quantile_ns(0.5) / 1e3,
            "p99": self.quantile_ns(0.99) / 1e3,
            "p999": self.quantile_ns(0.999) / 1e3,
            "max": self.max_ns / 1e3,
            "count": self.total,
        }


#: Samples held before they are binned (see LatencyTracker.record): at most, and when an end-to-end sample,
#: recorded after its feedback was sent, finds at least _BIN_AFTER_SEND waiting.
_PENDING_MAX = 65536
_BIN_AFTER_SEND = 4096


@dataclass
class LatencyTracker:
    """Histograms per stage and end to end, with deadline misses counted against a budget."""

    budget: LatencyBudget | None = None
    stages: dict[str, Histogram] = field(default_factory=lambda: {s: Histogram() for s in STAGES})
    _misses: int = field(default=0, init=False)
    # Samples recorded but not binned yet: (values, weights) per stage.
    _pending: dict[str, tuple[list[float], list[int]]] = field(
        default_factory=lambda: {s: ([], []) for s in STAGES}, init=False, repr=False)
    _n_pending: int = field(default=0, init=False, repr=False)

    def record(self, stage: str, durations_ns: np.ndarray | float, count: int = 1) -> None:
        """Record durations (ns) of one stage, a scalar `count` times or an array; end-to-end durations are
        checked against the deadline."""
        # The loop records about a dozen scalars per batch, between a round's arrival and its feedback:
        # binning each costs microseconds there, appending it a fraction of one. Scalars are binned in bulk
        # when an end-to-end sample (recorded after the feedback is sent) finds many waiting, or on a query.
        pending = self._pending.get(stage)
        if pending is None:
            raise KeyError(f"unknown latency stage {stage!r}; known: {', '.join(STAGES)}")
        if isinstance(durations_ns, (int, float)):
            pending[0].append(durations_ns)
            pending[1].append(count)
            self._n_pending += 1
            if self._n_pending >= _PENDING_MAX or (stage == "end_to_end" and self._n_pending >= _BIN_AFTER_SEND):
                self.flush()
            return
        d = np.atleast_1d(np.asarray(durations_ns, dtype=np.float64))
        if count != 1:
            d = np.repeat(d, count)
        self.stages[stage].add(d)
        if stage == "end_to_end" and self.budget is not None:
            self._misses += int((d > self.budget.deadline_us * 1e3).sum())

    def record_steps(self, ingest_ns: int, decode_ns: int, policy_ns: int) -> None:
        """Record one batch's ingest, decode and policy durations (ns): `record` for each, in one call."""
        p = self._pending
        for stage, x in (("ingest", ingest_ns), ("decode", decode_ns), ("policy", policy_ns)):
            values, weights = p[stage]
            values.append(x)
            weights.append(1)
        self._n_pending += 3
        if self._n_pending >= _PENDING_MAX:
            self.flush()

    def flush(self) -> None:
        """Bin every recorded sample that is still waiting."""
        for stage, (values, weights) in self._pending.items():
            if not values:
                continue
            d = np.asarray(values, dtype=np.float64)
            w = np.asarray(weights, dtype=np.int64)
            values.clear()
            weights.clear()
            self.stages[stage].add(d, w)
            if stage == "end_to_end" and self.budget is not None:
                self._misses += int(w[d > self.budget.deadline_us * 1e3].sum())
        self._n_pending = 0

    @property
    def deadline_misses(self) -> int:
        """End-to-end samples over the budget's deadline (0 without a budget)."""
        self.flush()
        return self._misses

    def summary_us(self) -> dict[str, dict[str, float]]:
        """Percentile summary of every stage that saw data, in microseconds."""
        self.flush()
        return {s: h.summary_us() for s, h in self.stages.items() if h.total}

    def within_budget(self) -> bool:
        """True when end-to-end p50, p99 and the deadline-miss fraction all meet the budget."""
        if self.budget is None:
            return True
        self.flush()
        e2e = self.stages["end_to_end"]
        if e2e.total == 0:
            return False
        b = self.budget
        return (
            e2e.quantile_ns(0.5) <= b.p50_us * 1e3
            and e2e.quantile_ns(0.99) <= b.p99_us * 1e3
            and self._misses <= b.max_deadline_miss_fraction * e2e.total
        )
