"""The default rule-based policy: raise the distance when the detection-event density crosses a bound.

Detection-event density is the cheapest real-time proxy for the physical error rate (it grows roughly
linearly with it below threshold), so a rising density means the device drifted away from the calibration.
The rule keeps a hysteresis band so that noise in the estimate does not make it switch back and forth.
"""

from __future__ import annotations

from dataclasses import dataclass

import pydantic

from policies.interface import Action, ActionKind, Features
from protocols.config import StrictModel


class DensityRuleConfig(StrictModel):
    """Distances to run, the density bound to raise at and the hysteresis band to lower at."""

    kind: str = pydantic.Field(default="density_rule", pattern="^density_rule$")
    distances: list[int] = pydantic.Field(default=[3, 5, 7], min_length=1)
    raise_above: float = pydantic.Field(default=0.05, gt=0, lt=1, description="density that triggers a raise")
    lower_below: float = pydantic.Field(default=0.0, ge=0, lt=1, description="density below which to lower; 0: never")
    min_windows_between_switches: int = pydantic.Field(default=2, ge=0)

    @pydantic.model_validator(mode="after")
    def _check(self) -> DensityRuleConfig:
        if sorted(set(self.distances)) != self.distances or any(d < 3 or d % 2 == 0 for d in self.distances):
            raise ValueError(f"distances must be increasing odd integers >= 3, got {self.distances}")
        if self.lower_below >= self.raise_above:
            raise ValueError(f"lower_below ({self.lower_below}) must be < raise_above ({self.raise_above})")
        return self


@dataclass
class DensityRule:
    """Raise the distance one step when the density exceeds the bound; lower it when it falls below the band."""

    config: DensityRuleConfig
    name: str = "density_rule"
    _since_switch: int = 10**9

    def decide(self, features: Features) -> Action:
        """KEEP, or SWITCH_DISTANCE to the next larger (or smaller) configured distance."""
        self._since_switch += 1
        ds = self.config.distances
        if self._since_switch <= self.config.min_windows_between_switches:
            return Action()
        rho = features.detection_event_density
        larger = [d for d in ds if d > features.distance]
        smaller = [d for d in ds if d < features.distance]
        if rho > self.config.raise_above and larger:
            self._since_switch = 0
            return Action(ActionKind.SWITCH_DISTANCE, larger[0], f"density {rho:.4f} > {self.config.raise_above}")
        if self.config.lower_below > 0 and rho < self.config.lower_below and smaller:
            self._since_switch = 0
            return Action(ActionKind.SWITCH_DISTANCE, smaller[-1], f"density {rho:.4f} < {self.config.lower_below}")
        return Action()
