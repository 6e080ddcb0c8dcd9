"""QuantaCore HIL: hardware-in-the-loop control stack for photonic quantum error correction."""

from protocols.errors import (
    BackendError,
    CodeError,
    ConfigError,
    DecodeError,
    NoiseModelError,
    QuantaCoreError,
    StudyError,
    WireError,
)

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "CodeError",
    "ConfigError",
    "DecodeError",
    "NoiseModelError",
    "QuantaCoreError",
    "StudyError",
    "WireError",
    "__version__",
]
