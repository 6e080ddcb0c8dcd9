"""A photonic device as one validated config: source, channel, gates, detectors, encoding and clock."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from emulator.physics.channels import ChannelConfig
from emulator.physics.detectors import DetectorConfig
from emulator.physics.gates import GateConfig
from emulator.physics.sources import QuantumDotSource, SPDCSource
from protocols.config import StrictModel, load_config

Source = Annotated[QuantumDotSource | SPDCSource, Field(discriminator="kind")]


class ClockConfig(StrictModel):
    """The round clock of the QEC cycle."""

    round_period_ns: float = Field(gt=0.0, le=1e9)


class DeviceConfig(StrictModel):
    """Everything the emulator's physics needs about one photonic device (configs/devices/*.yaml)."""

    name: str = Field(min_length=1)
    encoding: Literal["dual_rail"]
    clock: ClockConfig
    source: Source
    channel: ChannelConfig
    gates: GateConfig
    detectors: DetectorConfig

    @model_validator(mode="after")
    def _timing_fits_round(self) -> DeviceConfig:
        period_ns = self.clock.round_period_ns
        if self.detectors.gate_window_ns > period_ns:
            raise ValueError(
                f"detectors.gate_window_ns ({self.detectors.gate_window_ns}) must be <= clock.round_period_ns "
                f"({period_ns})"
            )
        if self.source.rep_rate_hz * period_ns * 1e-9 < 1.0:
            raise ValueError(
                f"source.rep_rate_hz ({self.source.rep_rate_hz}) must give at least one pulse per round "
                f"(>= {1e9 / period_ns:g} Hz for clock.round_period_ns {period_ns})"
            )
        return self


def load_device(path: str | Path) -> DeviceConfig:
    """Load and validate a device YAML; problems are ConfigErrors naming the file, the field and the range."""
    return load_config(path, DeviceConfig)
