"""Device implementations the wire server can serve: the photonic emulator, and the replay of a recording.

A recording is a directory: `tags.bin` (raw 16-byte time-tag records, `protocols.instruments.raw16`) and
`stream.json` (the code, the round period and every batch's first round, round count and tag count), written
by `Recorder` as a device streams. A replay plays it back at maximum speed or at the recorded clock; it
cannot change what was recorded, so code switches and parameter changes are refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from emulator.experiment import PhotonicEmulator
from emulator.physics.device import load_device
from emulator.scenario import Scenario, load_scenario
from protocols.channel_map import ChannelMap, channel_map_for_code
from protocols.codes import CodeSpec, layout
from protocols.device import DeviceBatch
from protocols.errors import ConfigError, QuantaCoreError
from protocols.instruments import read_raw16, write_raw16
from protocols.run_config import RunConfig

STREAM_SCHEMA = 1


class EmulatorDevice:
    """The PhotonicEmulator behind the Device interface."""

    def __init__(self, cfg: RunConfig) -> None:
        """Build the emulator of a run config (device, scenario, code, seed)."""
        device = load_device(cfg.emulator.device)
        scenario = None
        if cfg.emulator.scenario:
            scenario = Scenario.from_device(load_scenario(cfg.emulator.scenario), device)
        self.em = PhotonicEmulator(
            device, cfg.code.spec(), seed=cfg.seed, scenario=scenario, max_tags_per_batch=cfg.emulator.max_tags_per_batch
        )
        self.name = f"emulator:{cfg.name}"
        self.round_period_ps = self.em.round_period_ps

    @property
    def spec(self) -> CodeSpec:
        """The code running now."""
        return self.em.spec

    @property
    def channel_map(self) -> ChannelMap:
        """Rails and slots of the current code."""
        return self.em.channel_map

    @property
    def next_round(self) -> int:
        """The first round not produced yet."""
        return self.em.next_round

    def frames_per_block(self) -> int:
        """Rounds per block of the current code."""
        return self.em.frames_per_block()

    def next_batch(self, max_blocks: int) -> DeviceBatch:
        """The next blocks as time tags (the emulator never runs dry)."""
        b = self.em.next_blocks(max_blocks)
        return DeviceBatch(b.first_round, b.n_rounds, b.tags)

    def switch_code(self, spec: CodeSpec, apply_at_round: int) -> None:
        """Switch at the first block boundary at or after the round."""
        self.em.switch_code(spec, apply_at_round)

    def set_parameter(self, name: str, value: float, apply_at_round: int) -> None:
        """Set a device parameter (dotted path) at that boundary."""
        self.em.set_parameter(name, value, apply_at_round)


class Recorder:
    """Writes a device's stream as it is sent, so it can be replayed: tags.bin + stream.json."""

    def __init__(self, directory: str | Path, spec: CodeSpec, round_period_ps: int) -> None:
        """Start a recording in `directory` (created; an existing recording there is replaced)."""
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "tags.bin").write_bytes(b"")
        self.meta = {
            "schema": STREAM_SCHEMA,
            "code": {"family": spec.family, "distance": spec.distance, "rounds": spec.rounds, "basis": spec.basis},
            "round_period_ps": int(round_period_ps),
            "batches": [],
        }

    def add(self, batch: DeviceBatch) -> None:
        """Append one batch."""
        write_raw16(self.dir / "tags.bin", batch.tags, append=True)
        self.meta["batches"].append([int(batch.first_round), int(batch.n_rounds), int(len(batch.tags))])

    def close(self) -> None:
        """Write the stream description."""
        (self.dir / "stream.json").write_text(json.dumps(self.meta))


class ReplayDevice:
    """A recorded stream behind the Device interface, batch by batch as recorded."""

    def __init__(self, directory: str | Path) -> None:
        """Open a recording made by `Recorder`; a bad one raises ConfigError naming what is wrong."""
        d = Path(directory)
        try:
            meta = json.loads((d / "stream.json").read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ConfigError(f"replay {d}: cannot read stream.json ({e})") from e
        if meta.get("schema") != STREAM_SCHEMA:
            raise ConfigError(f"replay {d}: stream.json schema {meta.get('schema')!r}, expected {STREAM_SCHEMA}")
        c = meta["code"]
        self._spec = CodeSpec(c["family"], c["distance"], c["rounds"], c["basis"])
        self.round_period_ps = int(meta["round_period_ps"])
        self.name = f"replay:{d}"
        self._tags = read_raw16(d / "tags.bin")
        self._batches = [tuple(b) for b in meta["batches"]]
        total = sum(b[2] for b in self._batches)
        if total != len(self._tags):
            raise ConfigError(f"replay {d}: stream.json lists {total} tags but tags.bin holds {len(self._tags)}")
        self._offsets = np.concatenate([[0], np.cumsum([b[2] for b in self._batches])]).astype(np.int64)
        self._i = 0
        lay = layout(self._spec)
        qubits = sorted(lay.data_qubits + lay.x_ancillas + lay.z_ancillas)
        self._map = channel_map_for_code(qubits, self.round_period_ps, 1)

    @property
    def spec(self) -> CodeSpec:
        """The recorded code."""
        return self._spec

    @property
    def channel_map(self) -> ChannelMap:
        """The standard map of the recorded code."""
        return self._map

    @property
    def next_round(self) -> int:
        """The first round of the next recorded batch (or the end of the recording)."""
        if self._i < len(self._batches):
            return int(self._batches[self._i][0])
        last = self._batches[-1] if self._batches else (0, 0, 0)
        return int(last[0] + last[1])

    @property
    def last_round(self) -> int:
        """One past the last recorded round."""
        last = self._batches[-1] if self._batches else (0, 0, 0)
        return int(last[0] + last[1])

    def frames_per_block(self) -> int:
        """Rounds per block of the recorded code."""
        return self._spec.rounds + 1

    def next_batch(self, max_blocks: int) -> DeviceBatch | None:
        """The next recorded batch as recorded (its size is the recording's), or None at the end."""
        if self._i >= len(self._batches):
            return None
        first, n, _ = self._batches[self._i]
        tags = self._tags[self._offsets[self._i] : self._offsets[self._i + 1]]
        self._i += 1
        return DeviceBatch(int(first), int(n), tags)

    def switch_code(self, spec: CodeSpec, apply_at_round: int) -> None:
        """A recording cannot switch code."""
        raise QuantaCoreError(f"a replay cannot switch code (recorded: {self._spec})")

    def set_parameter(self, name: str, value: float, apply_at_round: int) -> None:
        """A recording cannot change device parameters."""
        raise QuantaCoreError(f"a replay cannot set device parameters ({name})")


def device_from_config(cfg: RunConfig, endpoint: str | None = None):
    """The Device a run config asks for: the emulator, or `replay:<dir>`."""
    endpoint = endpoint or cfg.controller.endpoint
    if endpoint == "emulator":
        return EmulatorDevice(cfg)
    if endpoint.startswith("replay:"):
        return ReplayDevice(endpoint[len("replay:") :])
    raise ConfigError(
        f"controller.endpoint {endpoint!r}: the device server serves 'emulator' or 'replay:<dir>'; an address "
        "means an external device, which the controller connects to directly"
    )
