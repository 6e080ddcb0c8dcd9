"""The transport-free emulator: a photonic device running a QEC memory experiment, batch by batch.

One *block* is one memory experiment of the current code (rounds of syndrome extraction plus the final data
readout); blocks run back to back, and every readout frame of a block is one *round* on the wire. For each
block the emulator takes the device parameters at the block's first round (the scenario moves them), derives
the effective channel of everything before the detectors (`effective_channel(..., include_detectors=False)`),
samples the stim circuit of the code under it, and hands the measurement outcomes to the readout stage, which
applies the detectors once (efficiency, dark counts, jitter, dead time, afterpulsing) and writes time tags.

What a slot of a frame emits: an outcome slot clicks the rail of its outcome unless its photon was lost (a
herald fired); an erasure-check slot (a data qubit heralded in a syndrome round) clicks rail 0 when its photon
is still there; a slot with neither emits only dark counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import stim

from emulator.physics.device import DeviceConfig
from emulator.physics.effective import effective_channel
from emulator.readout import ReadoutStage
from protocols.channel_map import ChannelMap, channel_map_for_code
from protocols.codes import CodeSpec, build_memory_circuit, layout
from protocols.config import validate
from protocols.errors import ConfigError
from protocols.frames import FrameLayout
from protocols.noise import EffectiveChannel
from protocols.timetags import TIMETAG_DTYPE

#: The extra per-round loss a scenario or command may add on top of the device's insertion losses.
EXCESS_LOSS = "channel.excess_loss_db"


class ParameterSource(Protocol):
    """Anything that gives device parameter values per round (a scenario), keyed by dotted device paths."""

    def values(self, start_round: int, n_rounds: int) -> dict[str, np.ndarray]:
        """Absolute values of each parameter it drives for rounds [start_round, start_round + n_rounds)."""


def device_with(device: DeviceConfig, params: dict[str, float]) -> DeviceConfig:
    """A validated copy of `device` with parameters set by dotted path (e.g. "detectors.efficiency").

    `channel.excess_loss_db` is appended to the channel's insertion losses; any other path must name an
    existing numeric field of the device config.
    """
    data = device.model_dump()
    for path, value in params.items():
        if path == EXCESS_LOSS:
            data["channel"]["insertion_losses_db"] = [*data["channel"]["insertion_losses_db"], float(value)]
            continue
        *parents, leaf = path.split(".")
        node = data
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                break
        if not isinstance(node, dict) or not isinstance(node.get(leaf), (int, float)) or isinstance(node.get(leaf), bool):
            raise ConfigError(
                f"unknown device parameter {path!r}: expected a dotted path to a numeric field of the device "
                f"config (e.g. detectors.dark_count_rate_hz, channel.phase_noise_rad) or {EXCESS_LOSS}"
            )
        node[leaf] = float(value)
    return validate(DeviceConfig, data, source=f"device {device.name} with {params}")


def observable_columns(circuit: stim.Circuit) -> list[np.ndarray]:
    """Measurement-record columns whose parity is each logical observable (from OBSERVABLE_INCLUDE)."""
    cols: dict[int, list[int]] = {}
    count = 0
    for inst in circuit.flattened():
        if inst.name == "OBSERVABLE_INCLUDE":
            k = int(inst.gate_args_copy()[0])
            cols.setdefault(k, []).extend(count + t.value for t in inst.targets_copy() if t.is_measurement_record_target)
        else:
            count += stim.Circuit(str(inst)).num_measurements if inst.name.startswith(("M", "HERALDED")) else 0
    return [np.asarray(cols.get(k, []), dtype=np.int64) for k in range(circuit.num_observables)]


@dataclass(frozen=True)
class GroundTruth:
    """What really happened, for evaluation only: never sent to the controller."""

    first_block: int
    specs: tuple[CodeSpec, ...]  # code of each block
    channels: tuple[EffectiveChannel, ...]  # effective channel (before detectors) of each block
    observables: np.ndarray  # bool (blocks, 1): logical observable flip of each block, before the detectors
    heralds: np.ndarray  # int64 (blocks,): heralds fired in each block (upstream losses)


@dataclass(frozen=True)
class EmulatorBatch:
    """Rounds [first_round, first_round + n_rounds) as time tags, and the ground truth kept apart."""

    first_round: int
    n_rounds: int
    tags: np.ndarray  # TIMETAG_DTYPE (n,), sorted by time_ps
    truth: GroundTruth


@dataclass
class _CodeState:
    spec: CodeSpec
    channel_map: ChannelMap
    readout: ReadoutStage
    circuits: dict[EffectiveChannel, tuple[stim.Circuit, FrameLayout, object, object]] = field(default_factory=dict)


class PhotonicEmulator:
    """Configure once from a device, a code and a seed; call `next_blocks` for batches of time tags."""

    def __init__(
        self,
        device: DeviceConfig,
        spec: CodeSpec,
        *,
        seed: int,
        scenario: ParameterSource | None = None,
        max_tags_per_batch: int = 2**31 - 1,
    ) -> None:
        """Build the emulator; `seed` fixes every random draw (stim sampling and detectors)."""
        if not 0 <= seed < 2**63:
            raise ConfigError(f"emulator: seed {seed} outside [0, 2**63)")
        self.device = device
        self.seed = int(seed)
        self.scenario = scenario
        self.max_tags_per_batch = int(max_tags_per_batch)
        self.round_period_ps = int(round(device.clock.round_period_ns * 1e3))
        self.window_ps = int(round(device.detectors.gate_window_ns * 1e3 / 2))
        self.next_round = 0
        self.next_block = 0
        self._params: dict[str, float] = {}
        self._pending: list[tuple[int, str, object]] = []  # (apply_at_round, kind, value)
        self._code = self._new_code_state(spec, start_round=0)

    # -- what the controller may learn in the handshake ------------------------------------------------
    @property
    def spec(self) -> CodeSpec:
        """The code currently running."""
        return self._code.spec

    @property
    def channel_map(self) -> ChannelMap:
        """Rails, slots and windows of the current code."""
        return self._code.channel_map

    def frames_per_block(self) -> int:
        """Rounds on the wire per memory block of the current code."""
        return self._circuit_for(self._channel_at(self.next_round))[1].n_frames

    # -- commands ---------------------------------------------------------------------------------------
    def switch_code(self, spec: CodeSpec, apply_at_round: int) -> None:
        """Run `spec` from the first block boundary at or after `apply_at_round`."""
        self._pending.append((int(apply_at_round), "code", spec))

    def set_parameter(self, name: str, value: float, apply_at_round: int) -> None:
        """Set a device parameter (dotted path) from the first block boundary at or after `apply_at_round`."""
        device_with(self.device, {name: float(value)})  # validate now, so a bad command fails at once
        self._pending.append((int(apply_at_round), "param", (name, float(value))))

    def _apply_due(self) -> None:
        due = [p for p in self._pending if p[0] <= self.next_round]
        self._pending = [p for p in self._pending if p[0] > self.next_round]
        for _, kind, value in sorted(due, key=lambda p: p[0]):
            if kind == "code":
                self._code = self._new_code_state(value, start_round=self.next_round)  # type: ignore[arg-type]
            else:
                name, v = value  # type: ignore[misc]
                self._params[name] = v

    # -- sampling -----------------------------------------------------------------------------------------
    def _new_code_state(self, spec: CodeSpec, start_round: int) -> _CodeState:
        lay = layout(spec)
        qubits = sorted(lay.data_qubits + lay.x_ancillas + lay.z_ancillas)
        cm = channel_map_for_code(qubits, self.round_period_ps, self.window_ps)
        det = self.device.detectors
        readout = ReadoutStage(
            cm.rails,
            cm.slot_ps,
            self.round_period_ps,
            efficiency=det.efficiency,
            dark_rate_hz=det.dark_count_rate_hz,
            jitter_sigma_ps=det.jitter_sigma_ps,
            dead_time_ps=det.dead_time_ns * 1e3,
            afterpulse_prob=det.afterpulse_probability,
            afterpulse_delay_ps=det.afterpulse_delay_ns * 1e3,
            max_tags=self.max_tags_per_batch,
            seed=(self.seed * 1_000_003 + start_round) % 2**64,
            start_round=start_round,
        )
        return _CodeState(spec, cm, readout)

    def _device_at(self, round_index: int) -> tuple[DeviceConfig, float]:
        """Device config at a round (commands, then the scenario on top) and the dark-count scale."""
        params = dict(self._params)
        if self.scenario is not None:
            for k, v in self.scenario.values(round_index, 1).items():
                params[k] = float(v[0])
        dev = device_with(self.device, params) if params else self.device
        return dev, dev.detectors.dark_count_rate_hz

    def _channel_at(self, round_index: int) -> EffectiveChannel:
        dev, _ = self._device_at(round_index)
        ch = effective_channel(dev, include_detectors=False)
        # Quantise to 3 significant digits so a slowly drifting scenario reuses compiled samplers.
        return EffectiveChannel(**{k: float(f"{v:.3g}") for k, v in ch.model_dump().items()})

    def _circuit_for(self, ch: EffectiveChannel) -> tuple[stim.Circuit, FrameLayout, object, object]:
        cache = self._code.circuits
        if ch not in cache:
            circuit = build_memory_circuit(self._code.spec, ch.hooks())
            lay = FrameLayout.from_circuit(circuit, self._code.channel_map.qubits)
            cache[ch] = (circuit, lay, observable_columns(circuit), circuit.compile_sampler(seed=0))
        return cache[ch]

    def next_blocks(self, n_blocks: int) -> EmulatorBatch:
        """The next `n_blocks` memory blocks as time tags (one readout frame per round)."""
        if n_blocks <= 0:
            raise ConfigError(f"emulator: n_blocks must be >= 1, got {n_blocks}")
        first_round, first_block = self.next_round, self.next_block
        tag_parts, obs_parts, herald_parts = [], [], []
        specs: list[CodeSpec] = []
        channels: list[EffectiveChannel] = []
        done = 0
        while done < n_blocks:
            self._apply_due()
            ch = self._channel_at(self.next_round)
            circuit, lay, obs_cols, _ = self._circuit_for(ch)
            # Blocks up to the next pending command or batch end share this code; under a scenario, the
            # run of blocks whose (quantised) channel is the same shares one sampler.
            n = n_blocks - done
            if self._pending:
                horizon = min(p[0] for p in self._pending) - self.next_round
                n = max(1, min(n, -(-horizon // lay.n_frames)))
            if self.scenario is not None:
                k = 1
                while k < n and self._channel_at(self.next_round + k * lay.n_frames) == ch:
                    k += 1
                n = k
            sampler = circuit.compile_sampler(seed=(self.seed * 7_919 + self.next_block) % 2**63)
            record = sampler.sample(n).view(np.uint8)
            outcomes, heralds = lay.to_frames(record)
            has_out = lay.outcome_index >= 0
            has_her = lay.herald_index >= 0
            lost = heralds.astype(bool)
            present = (has_out & ~lost) | (~has_out & has_her & ~lost)
            bits = np.where(has_out, outcomes, 0).astype(np.uint8)
            S = lay.n_slots
            _, dark = self._device_at(self.next_round)
            extra = None
            base = self.device.detectors.dark_count_rate_hz
            if dark != base:
                extra = np.full(n * lay.n_frames, max(0.0, dark - base))
            tags = self._code.readout.emit(
                bits.reshape(-1, S), present.reshape(-1, S).view(np.uint8), dark_extra_hz=extra
            )
            tag_parts.append(tags)
            obs_parts.append(np.stack([np.bitwise_xor.reduce(record[:, c], axis=1) for c in obs_cols], axis=1) != 0)
            herald_parts.append(heralds.reshape(n, -1).sum(axis=1, dtype=np.int64))
            specs += [self._code.spec] * n
            channels += [ch] * n
            self.next_round += n * lay.n_frames
            self.next_block += n
            done += n
        tags = np.concatenate(tag_parts) if len(tag_parts) > 1 else tag_parts[0]
        truth = GroundTruth(
            first_block,
            tuple(specs),
            tuple(channels),
            np.concatenate(obs_parts),
            np.concatenate(herald_parts),
        )
        assert tags.dtype == TIMETAG_DTYPE
        return EmulatorBatch(first_round, self.next_round - first_round, tags, truth)
