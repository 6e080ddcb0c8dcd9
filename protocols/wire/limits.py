"""Limits a decoder enforces before it builds anything from a frame."""

from __future__ import annotations

import dataclasses

from protocols.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Limits:
    """Upper bounds on a frame and its fields; every one is checked before the data is used.

    Array limits count records (time tags, qubits, Pauli entries) or bytes (packed syndrome arrays), and are
    compared with the length given in the msgpack `bin` header, before any numpy array is constructed.
    """

    max_frame_bytes: int = 16 * 1024 * 1024
    max_depth: int = 3  # envelope map -> action map -> code map
    max_string_bytes: int = 1024
    max_map_entries: int = 256  # telemetry values per message
    max_tags: int = 1 << 19  # time-tag records per batch (8 MiB)
    max_qubits: int = 1 << 16  # entries of a channel map or a Pauli-frame update
    max_syndrome_bytes: int = 1 << 23  # bytes of each packed syndrome array
    max_rounds: int = 1 << 20  # rounds per batch or frame
    max_measurements: int = 1 << 16  # measurements per round in a syndrome frame

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if type(value) is not int or value < 1:
                raise ConfigError(f"Limits.{f.name}: got {value!r}, allowed: an integer >= 1")
        if self.max_tags * 16 > self.max_frame_bytes:
            raise ConfigError(
                f"Limits.max_tags: {self.max_tags} tags need {self.max_tags * 16} bytes, more than "
                f"max_frame_bytes={self.max_frame_bytes}; allowed: max_tags <= max_frame_bytes / 16"
            )

    @property
    def max_bin_bytes(self) -> int:
        """The largest `bin` field any array limit allows (the msgpack-level bound)."""
        return max(self.max_tags * 16, self.max_qubits * 8, self.max_syndrome_bytes)


DEFAULT_LIMITS = Limits()
