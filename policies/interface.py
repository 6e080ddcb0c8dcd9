"""The policy interface: features of the recent stream in, a code-switching action out.

Policies run every window (milliseconds), not every round. They see only what the controller measures,
never the device's ground truth, and they import neither the controller nor the emulator.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Features:
    """What the controller measured over the last policy window."""

    round_index: int  # first round the action could apply at
    distance: int  # distance of the code now running
    detection_event_density: float  # fraction of non-herald detectors that fired
    erasure_fraction: float  # fraction of readout slots flagged (no click or both rails)
    logical_error_rate: float  # logical failures per block, as estimated so far (nan when unknown)
    latency_fraction: float  # end-to-end p99 latency over the budget's deadline


class ActionKind(enum.Enum):
    """What a policy can ask for."""

    KEEP = "keep"
    SWITCH_DISTANCE = "switch_distance"


@dataclass(frozen=True)
class Action:
    """A policy decision; `distance` is the new distance for SWITCH_DISTANCE."""

    kind: ActionKind = ActionKind.KEEP
    distance: int = 0
    reason: str = ""


@runtime_checkable
class Policy(Protocol):
    """Anything that maps features to an action."""

    name: str

    def decide(self, features: Features) -> Action:
        """The action for the window described by `features`."""
