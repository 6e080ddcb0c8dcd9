"""The base every noise model shares: a `kind` tag, circuit hooks, rounds per distance and a swept parameter."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from protocols.codes.hooks import NoiseHooks
from protocols.config import StrictModel
from protocols.errors import NoiseModelError


def probability(description: str, default: float | None = None) -> Any:
    """A pydantic Field for a probability in [0, 1] (required when `default` is None)."""
    if default is None:
        return Field(ge=0.0, le=1.0, allow_inf_nan=False, description=description)
    return Field(default=default, ge=0.0, le=1.0, allow_inf_nan=False, description=description)


class NoiseModel(StrictModel):
    """A noise model as validated data; subclasses add a `kind: Literal[...]` tag and their parameters."""

    #: Name of the field a study scans when it sweeps this model's strength.
    sweep_parameter: ClassVar[str]

    label: str = Field(default="", description="Free-form name shown in study tables and plots.")

    def hooks(self) -> NoiseHooks:
        """Noise hooks inserting this model into a circuit builder's output."""
        raise NotImplementedError

    def rounds_for(self, distance: int) -> int:
        """Syndrome-extraction rounds a memory experiment at `distance` uses under this model (distance rounds)."""
        check_distance(distance)
        return distance

    @property
    def sweep_value(self) -> float:
        """Current value of the swept parameter."""
        return float(getattr(self, self.sweep_parameter))


def check_distance(distance: int) -> None:
    """Raise NoiseModelError unless `distance` is a positive integer."""
    if isinstance(distance, bool) or not isinstance(distance, int) or distance < 1:
        raise NoiseModelError(f"distance must be a positive integer (got {distance!r})")
