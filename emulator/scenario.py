"""Scenarios: how device parameters change over rounds (drift, random walk, periodic, bursts, steps).

A scenario config (configs/scenarios/*.yaml) gives, for each parameter, a list of components whose values
add up, an optional base taken from the device, and bounds:

    name: dark_count_bursts
    seed: 7
    parameters:
      detectors.dark_count_rate_hz:     # a dotted path into the device config (emulator.physics.DeviceConfig)
        combine: add                    # add to the device's value ("replace": the components are the value)
        min: 0.0
        components:
          - {kind: bursts, mean_interval_rounds: 5.0e5, mean_duration_rounds: 2.0e4, amplitude: 1.0e5}

Time is counted in rounds (round r covers [r, r + 1) round periods). Every random component draws from
its own generator seeded by (scenario seed, parameter index, component index[, block]), and bursts are
generated in order from round 0, so `values(start, n)` is a pure function of the config: any window, asked
in any order, gives the same numbers. `timeline()` re-evaluates that truth for evaluation and lists the
discrete episodes (bursts, steps) with their exact rounds.

Values are absolute, keyed by dotted device paths, as `emulator.experiment.ParameterSource` takes them and
`emulator.experiment.device_with` applies them. Besides the device's numeric fields, the parameter
`channel.excess_loss_db` (base 0) is an extra per-round loss appended to the channel's insertion losses:
a fibre bend, a drifting coupler.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator
from scipy.signal import lfilter

from emulator.experiment import EXCESS_LOSS
from emulator.physics.device import DeviceConfig
from protocols.config import StrictModel, load_config
from protocols.errors import ConfigError

_BLOCK = 4096  # rounds per random-walk block (random access without regenerating from round 0)
_MAX_ROUND = 2**53  # rounds are exact in float64 below this


class Constant(StrictModel):
    """A constant value."""

    kind: Literal["constant"]
    value: float


class LinearDrift(StrictModel):
    """rate x (r - start_round) between start_round and stop_round, 0 before, held after."""

    kind: Literal["linear_drift"]
    rate_per_round: float
    start_round: int = Field(default=0, ge=0)
    stop_round: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> LinearDrift:
        if self.stop_round is not None and self.stop_round < self.start_round:
            raise ValueError(f"stop_round ({self.stop_round}) must be >= start_round ({self.start_round})")
        return self


class RandomWalk(StrictModel):
    """x_r = (1 - reversion) x_(r-1) + N(0, step_sigma^2) from start_round (x = 0 before); reversion > 0
    makes it an Ornstein-Uhlenbeck process with stationary sd step_sigma / sqrt(reversion (2 - reversion))."""

    kind: Literal["random_walk"]
    step_sigma: float = Field(ge=0.0)
    reversion_per_round: float = Field(default=0.0, ge=0.0, le=1.0)
    start_round: int = Field(default=0, ge=0)


class Periodic(StrictModel):
    """amplitude x sin(2 pi r / period_rounds + phase_rad)."""

    kind: Literal["periodic"]
    amplitude: float
    period_rounds: float = Field(gt=0.0)
    phase_rad: float = 0.0


class Bursts(StrictModel):
    """Episodes starting as a Poisson process (mean interval), each adding `amplitude` for its duration.

    Overlapping episodes add up. Round r is inside an episode [s, s + d) when s <= r < s + d.
    """

    kind: Literal["bursts"]
    mean_interval_rounds: float = Field(gt=0.0)
    mean_duration_rounds: float = Field(gt=0.0)
    duration: Literal["fixed", "exponential"] = "exponential"
    amplitude: float
    start_round: int = Field(default=0, ge=0)


class Step(StrictModel):
    """From round `at_round` on, the component's value is `value`."""

    at_round: int = Field(ge=0)
    value: float


class Steps(StrictModel):
    """Piecewise constant: 0 before the first step, then each step's value from its round on."""

    kind: Literal["steps"]
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _increasing(self) -> Steps:
        rounds = [s.at_round for s in self.steps]
        if any(b <= a for a, b in zip(rounds, rounds[1:])):
            raise ValueError(f"steps must have strictly increasing at_round (got {rounds})")
        return self


Component = Annotated[
    Constant | LinearDrift | RandomWalk | Periodic | Bursts | Steps, Field(discriminator="kind")
]


class ParameterSchedule(StrictModel):
    """One parameter over rounds: base (add) or not (replace), the sum of components, then bounds."""

    combine: Literal["add", "replace"] = "add"
    components: list[Component] = Field(min_length=1)
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> ParameterSchedule:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must be <= max ({self.max})")
        return self


class ScenarioConfig(StrictModel):
    """A scenario: named parameter schedules and the seed of their random components."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: int = Field(ge=0, lt=2**63)
    parameters: dict[
        Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")], ParameterSchedule
    ] = Field(min_length=1)


@dataclasses.dataclass(frozen=True)
class Episode:
    """A discrete event of the true timeline: a burst [start_round, end_round) or a step at start_round."""

    parameter: str
    kind: Literal["burst", "step"]
    start_round: float
    end_round: float
    amplitude: float


@dataclasses.dataclass(frozen=True)
class Timeline:
    """The truth over rounds [start_round, start_round + n): values float64 (n,) per parameter, and episodes."""

    start_round: int
    n_rounds: int
    values: Mapping[str, np.ndarray]
    episodes: tuple[Episode, ...]


class _BurstTrain:
    """The bursts of one component, generated in order from round 0 and kept (the true episodes)."""

    def __init__(self, c: Bursts, seed: list[int]) -> None:
        self.c = c
        self.rng = np.random.default_rng(seed)
        self.starts: list[float] = []
        self.ends: list[float] = []
        self._arrays = (np.empty(0), np.empty(0))
        self.max_duration = 0.0
        self.next_start = c.start_round + self.rng.exponential(c.mean_interval_rounds)

    def _extend(self, stop: float) -> None:
        while self.next_start < stop:
            d = (
                self.c.mean_duration_rounds
                if self.c.duration == "fixed"
                else self.rng.exponential(self.c.mean_duration_rounds)
            )
            self.starts.append(self.next_start)
            self.ends.append(self.next_start + d)
            self.max_duration = max(self.max_duration, d)
            self.next_start += self.rng.exponential(self.c.mean_interval_rounds)

    def covering(self, r: int) -> int:
        """How many episodes cover round r (start <= r < end)."""
        self._extend(r + 1)
        n = 0
        i = bisect.bisect_right(self.starts, r) - 1
        while i >= 0 and self.starts[i] > r - self.max_duration - 1:
            n += self.ends[i] > r
            i -= 1
        return n

    def until(self, stop: float) -> tuple[np.ndarray, np.ndarray]:
        """Start and end rounds (float64) of every episode starting before `stop`."""
        self._extend(stop)
        if len(self._arrays[0]) != len(self.starts):
            self._arrays = (np.asarray(self.starts), np.asarray(self.ends))
        starts, ends = self._arrays
        k = int(np.searchsorted(starts, stop))
        return starts[:k], ends[:k]


class _Walk:
    """One random walk, block by block; the state at each block end is kept so any window is cheap."""

    def __init__(self, c: RandomWalk, seed: list[int]) -> None:
        self.c = c
        self.seed = seed
        self.ends: list[float] = []  # value at the last round of block b
        self._last: tuple[int, np.ndarray] = (-1, np.empty(0))  # the emulator asks round by round

    def block(self, b: int) -> np.ndarray:
        """Values over the rounds of block b (rounds counted from start_round)."""
        if self._last[0] != b:
            while len(self.ends) < b:
                self.ends.append(float(self._filter(len(self.ends))[-1]))
            self._last = (b, self._filter(b))
        return self._last[1]

    def _filter(self, b: int) -> np.ndarray:
        steps = np.random.default_rng([*self.seed, b]).normal(0.0, self.c.step_sigma, _BLOCK)
        a1 = 1.0 - self.c.reversion_per_round
        prev = self.ends[b - 1] if b > 0 else 0.0
        return lfilter([1.0], [1.0, -a1], steps, zi=[a1 * prev])[0]


class Scenario:
    """Configure once (config, base values, seed), then ask for any window of rounds."""

    def __init__(self, config: ScenarioConfig, base: Mapping[str, float] | None = None) -> None:
        self.config = config
        base = dict(base or {})
        self.base: dict[str, float] = {}
        for name, sched in config.parameters.items():
            if sched.combine == "add":
                if name not in base:
                    raise ConfigError(
                        f"scenario {config.name}: parameters.{name}: combine 'add' needs the device's value of "
                        f"{name} as base; give it or use combine 'replace'"
                    )
                self.base[name] = float(base[name])
        self._state: dict[tuple[int, int], Any] = {}
        for i, sched in enumerate(config.parameters.values()):
            for j, c in enumerate(sched.components):
                if isinstance(c, Bursts):
                    self._state[i, j] = _BurstTrain(c, [config.seed, i, j])
                elif isinstance(c, RandomWalk):
                    self._state[i, j] = _Walk(c, [config.seed, i, j])
        self.rounds_served = 0

    @classmethod
    def from_device(cls, config: ScenarioConfig, device: DeviceConfig) -> Scenario:
        """A scenario whose 'add' parameters start from `device`'s values (checks every path exists)."""
        return cls(config, {name: device_value(device, name) for name in config.parameters})

    @property
    def parameters(self) -> list[str]:
        """The parameter names, in config order."""
        return list(self.config.parameters)

    def values(self, start_round: int, n_rounds: int) -> dict[str, np.ndarray]:
        """Each parameter's true value in rounds [start_round, start_round + n_rounds): float64 (n_rounds,)."""
        if start_round < 0 or n_rounds < 0 or start_round + n_rounds > _MAX_ROUND:
            raise ConfigError(
                f"scenario {self.config.name}: rounds [{start_round}, {start_round + n_rounds}) outside [0, 2**53)"
            )
        self.rounds_served = max(self.rounds_served, start_round + n_rounds)
        if n_rounds == 1:  # the emulator asks block by block: skip the array machinery
            names = self.config.parameters
            return {name: np.array([self._value_at(i, name, start_round)]) for i, name in enumerate(names)}
        r = np.arange(start_round, start_round + n_rounds, dtype=np.float64)
        out = {}
        for i, (name, sched) in enumerate(self.config.parameters.items()):
            v = np.full(n_rounds, self.base.get(name, 0.0))
            for j, c in enumerate(sched.components):
                v += self._component(i, j, c, r, start_round, n_rounds)
            if sched.min is not None or sched.max is not None:
                np.clip(v, sched.min, sched.max, out=v)
            out[name] = v
        return out

    def timeline(self, start_round: int = 0, n_rounds: int | None = None) -> Timeline:
        """The truth for evaluation: values over a window (default: every round served so far) and episodes."""
        n = self.rounds_served - start_round if n_rounds is None else n_rounds
        values = self.values(start_round, max(n, 0))
        stop = start_round + max(n, 0)
        episodes: list[Episode] = []
        for i, (name, sched) in enumerate(self.config.parameters.items()):
            for j, c in enumerate(sched.components):
                if isinstance(c, Bursts):
                    s, e = self._state[i, j].until(stop)
                    keep = e > start_round
                    episodes += [
                        Episode(name, "burst", float(a), float(b), c.amplitude) for a, b in zip(s[keep], e[keep])
                    ]
                elif isinstance(c, Steps):
                    episodes += [
                        Episode(name, "step", st.at_round, st.at_round, st.value)
                        for st in c.steps
                        if start_round <= st.at_round < stop
                    ]
        episodes.sort(key=lambda ep: (ep.start_round, ep.parameter))
        return Timeline(start_round, max(n, 0), values, tuple(episodes))

    def _value_at(self, i: int, name: str, r: int) -> float:
        """values(r, 1)[name][0], with the same floating-point operations in the same order."""
        sched = self.config.parameters[name]
        v = self.base.get(name, 0.0)
        for j, c in enumerate(sched.components):
            if isinstance(c, Constant):
                v += c.value
            elif isinstance(c, LinearDrift):
                stop = math.inf if c.stop_round is None else c.stop_round
                v += c.rate_per_round * (min(max(float(r), c.start_round), stop) - c.start_round)
            elif isinstance(c, Steps):
                k = bisect.bisect_right([s.at_round for s in c.steps], r)
                v += c.steps[k - 1].value if k > 0 else 0.0
            elif isinstance(c, Bursts):
                v += c.amplitude * self._state[i, j].covering(r)
            else:  # periodic and random walk: through numpy, as the array path computes them
                v += float(self._component(i, j, c, np.array([float(r)]), r, 1)[0])
        if sched.min is not None:
            v = max(v, sched.min)
        if sched.max is not None:
            v = min(v, sched.max)
        return v

    def _component(self, i: int, j: int, c: Component, r: np.ndarray, start: int, n: int) -> np.ndarray:
        if isinstance(c, Constant):
            return np.full(n, c.value)
        if isinstance(c, LinearDrift):
            stop = math.inf if c.stop_round is None else c.stop_round
            return c.rate_per_round * (np.clip(r, c.start_round, stop) - c.start_round)
        if isinstance(c, Periodic):
            return c.amplitude * np.sin(2.0 * np.pi * r / c.period_rounds + c.phase_rad)
        if isinstance(c, Steps):
            at = np.array([s.at_round for s in c.steps], dtype=np.float64)
            vals = np.concatenate([[0.0], [s.value for s in c.steps]])
            return vals[np.searchsorted(at, r, side="right")]
        if isinstance(c, Bursts):
            starts, ends = self._state[i, j].until(start + n)
            live = ends > start
            # Round r is inside [s, s + d) iff ceil(s) <= r < ceil(s + d): a difference array over the window.
            lo = np.clip(np.ceil(starts[live]) - start, 0, n).astype(np.int64)
            hi = np.clip(np.ceil(ends[live]) - start, 0, n).astype(np.int64)
            # Count covering episodes in integers, then scale: the value of a round never depends on the window.
            diff = np.zeros(n + 1, dtype=np.int64)
            np.add.at(diff, lo, 1)
            np.add.at(diff, hi, -1)
            return c.amplitude * np.cumsum(diff[:n])
        return self._walk(self._state[i, j], c, start, n)

    @staticmethod
    def _walk(walk: _Walk, c: RandomWalk, start: int, n: int) -> np.ndarray:
        out = np.zeros(n)
        first = max(start, c.start_round)
        stop = start + n
        if first >= stop:
            return out
        b0 = (first - c.start_round) // _BLOCK
        b1 = (stop - 1 - c.start_round) // _BLOCK
        vals = np.concatenate([walk.block(b) for b in range(b0, b1 + 1)])
        off = first - c.start_round - b0 * _BLOCK
        out[first - start :] = vals[off : off + stop - first]
        return out


def load_scenario(path: str | Path) -> ScenarioConfig:
    """Load and validate a scenario YAML; problems are ConfigErrors naming the file, the field and the range."""
    return load_config(path, ScenarioConfig)


def device_value(device: DeviceConfig, name: str) -> float:
    """The device's current value of parameter `name` (a dotted path to a float field, or EXCESS_LOSS)."""
    if name == EXCESS_LOSS:
        return 0.0
    obj: Any = device
    for part in name.split("."):
        if not isinstance(obj, StrictModel) or part not in type(obj).model_fields:
            raise ConfigError(f"scenario parameter {name!r}: the device config has no field {part!r} there")
        obj = getattr(obj, part)
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        raise ConfigError(f"scenario parameter {name!r}: the device field is {type(obj).__name__}, not a number")
    return float(obj)
