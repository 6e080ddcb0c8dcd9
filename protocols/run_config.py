"""The run configuration (configs/default.yaml and friends): one file for the emulator, the controller and
the transport between them, so that `quantacore run` starts both from the same source of truth.

The controller section never refers to the device: its noise *belief* is an effective channel written in
the config (from a calibration), so the controller can run against any endpoint, not only the emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import Field

from protocols.codes import CodeSpec
from protocols.config import StrictModel, load_config
from protocols.errors import CodeError
from protocols.noise import EffectiveChannel


class CodeConfig(StrictModel):
    """The code the loop starts with; a memory block is `rounds` rounds plus the final readout."""

    family: Literal["rotated_surface", "repetition", "xzzx"] = "rotated_surface"
    distance: int = Field(default=5, ge=2, le=51)
    rounds: int = Field(default=5, ge=1, le=100_000)
    basis: Literal["X", "Z"] = "Z"

    @pydantic.model_validator(mode="after")
    def _valid_spec(self) -> CodeConfig:
        try:
            self.spec()
        except CodeError as e:
            raise ValueError(str(e)) from e
        return self

    def spec(self) -> CodeSpec:
        """The CodeSpec of this config."""
        return CodeSpec(self.family, self.distance, self.rounds, self.basis)


CpuList = Annotated[
    list[Annotated[int, Field(ge=0, le=4095)]],
    Field(min_length=1, max_length=4096,
          description="CPUs the process (and its ZeroMQ I/O thread) runs on; unset: wherever the OS puts it"),
]


def _unique_cpus(cpus: list[int] | None) -> list[int] | None:
    if cpus is not None and len(set(cpus)) != len(cpus):
        raise ValueError(f"CPUs listed twice in {cpus}")
    return cpus


class EmulatorSection(StrictModel):
    """The device half: which device, which scenario, how it streams."""

    device: str = Field(description="path of a device YAML (configs/devices/)")
    scenario: str | None = Field(default=None, description="path of a scenario YAML (configs/scenarios/)")
    blocks_per_batch: int = Field(default=200, ge=1, le=1_000_000)
    pace: Literal["realtime", "max"] = Field(
        default="max", description="realtime: one batch per its rounds' duration; max: as fast as possible"
    )
    max_tags_per_batch: int = Field(default=4_000_000, ge=1, le=2**31 - 1)
    cpus: CpuList | None = None

    _cpus_unique = pydantic.field_validator("cpus")(_unique_cpus)


class ControllerSection(StrictModel):
    """The controller half: its noise belief, decoder, policy and latency budget."""

    endpoint: str = Field(default="emulator", description="'emulator', 'replay:<file>' or a ZeroMQ address")
    belief: EffectiveChannel = Field(description="the noise the decoder is weighted for (a calibration)")
    decoder: Literal["erasure", "matching"] = "erasure"
    window_ps: int = Field(default=500, gt=0, le=10**9, description="half-width of the acceptance window")
    budget: str = Field(default="configs/budgets/ci.yaml", description="path of a latency budget YAML")
    policy: dict = Field(default_factory=dict, description="policy config; 'kind' picks it (default density_rule)")
    policy_window_blocks: int = Field(default=200, ge=1, le=10**9)
    cpus: CpuList | None = None
    busy_poll_us: float = Field(
        default=0, ge=0, le=1e6,
        description="look for the next batch this long before sleeping on the data path: a core spent on "
                    "waiting buys a wake-up without the scheduler's delay (for a controller on its own core); "
                    "while it looks, small batches are received compiled and a block's rounds are awaited "
                    "together (protocols/wire/intake.py)",
    )

    _cpus_unique = pydantic.field_validator("cpus")(_unique_cpus)


class TransportSection(StrictModel):
    """Where the two processes meet. Loopback unless CURVE keys are configured."""

    data: str = Field(default="tcp://127.0.0.1:*", description="data path (PUSH/PULL) address the device binds")
    control: str = Field(default="tcp://127.0.0.1:*", description="control path (ROUTER/DEALER) address")
    curve_keys: str | None = Field(default=None, description="directory with CURVE key pairs (quantacore keys)")


class RunConfig(StrictModel):
    """A whole hardware-in-the-loop run."""

    name: str = Field(min_length=1)
    seed: int = Field(ge=0, lt=2**63)
    rounds: int = Field(default=20_000, ge=1, description="rounds to run unless --rounds says otherwise")
    code: CodeConfig = CodeConfig()
    emulator: EmulatorSection
    controller: ControllerSection
    transport: TransportSection = TransportSection()


def _resolve(value: str, config_path: Path) -> str:
    """A relative path as written in a config: against the working directory, else the config's folder or
    the folder above it (configs/ sits in the project root), else unchanged (the loader reports it)."""
    p = Path(value)
    if p.is_absolute() or p.exists():
        return value
    for base in (config_path.parent, config_path.parent.parent):
        if (base / p).exists():
            return str((base / p).resolve())
    return value


def load_run_config(path: str | Path) -> RunConfig:
    """Load and validate a run config; errors name the file and the field; relative paths are resolved."""
    path = Path(path)
    cfg = load_config(path, RunConfig)
    emu = cfg.emulator.model_copy(
        update={
            "device": _resolve(cfg.emulator.device, path),
            "scenario": _resolve(cfg.emulator.scenario, path) if cfg.emulator.scenario else None,
        }
    )
    endpoint = cfg.controller.endpoint
    if endpoint.startswith("replay:"):
        endpoint = "replay:" + _resolve(endpoint[len("replay:"):], path)
    ctl = cfg.controller.model_copy(update={"budget": _resolve(cfg.controller.budget, path), "endpoint": endpoint})
    return cfg.model_copy(update={"emulator": emu, "controller": ctl})
