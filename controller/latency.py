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

    def add(self, durations_ns: np.ndarray | float) -> None:
        """Record one duration or an array of durations (ns)."""
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
        self.counts += np.bincount(idx, minlength=_N_BINS)
        self.total += d.size
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


@dataclass
class LatencyTracker:
    """Histograms per stage and end to end, with deadline misses counted against a budget."""

    budget: LatencyBudget | None = None
    stages: dict[str, Histogram] = field(default_factory=lambda: {s: Histogram() for s in STAGES})
    deadline_misses: int = 0

    def record(self, stage: str, durations_ns: np.ndarray | float) -> None:
        """Record durations (ns) of one stage; end-to-end durations are checked against the deadline."""
        if stage not in self.stages:
            raise KeyError(f"unknown latency stage {stage!r}; known: {', '.join(STAGES)}")
        self.stages[stage].add(durations_ns)
        if stage == "end_to_end" and self.budget is not None:
            if isinstance(durations_ns, (int, float)):
                self.deadline_misses += int(durations_ns > self.budget.deadline_us * 1e3)
            else:
                d = np.atleast_1d(np.asarray(durations_ns, dtype=np.float64))
                self.deadline_misses += int((d > self.budget.deadline_us * 1e3).sum())

    def summary_us(self) -> dict[str, dict[str, float]]:
        """Percentile summary of every stage that saw data, in microseconds."""
        return {s: h.summary_us() for s, h in self.stages.items() if h.total}

    def within_budget(self) -> bool:
        """True when end-to-end p50, p99 and the deadline-miss fraction all meet the budget."""
        if self.budget is None:
            return True
        e2e = self.stages["end_to_end"]
        if e2e.total == 0:
            return False
        b = self.budget
        return (
            e2e.quantile_ns(0.5) <= b.p50_us * 1e3
            and e2e.quantile_ns(0.99) <= b.p99_us * 1e3
            and self.deadline_misses <= b.max_deadline_miss_fraction * e2e.total
        )
