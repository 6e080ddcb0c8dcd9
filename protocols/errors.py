"""The project's exception hierarchy: one root, standard-library mixins, messages that carry values."""

from __future__ import annotations


class QuantaCoreError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(QuantaCoreError, ValueError):
    """A configuration file or object is invalid; the message names the file, the field and the allowed range."""


class CodeError(QuantaCoreError, ValueError):
    """A code or circuit was requested with parameters it does not support."""


class NoiseModelError(QuantaCoreError, ValueError):
    """A noise model cannot be mapped onto the requested circuit."""


class DecodeError(QuantaCoreError, RuntimeError):
    """A decoder was given inputs it cannot decode (wrong shape, dtype or detector count)."""


class StudyError(QuantaCoreError, RuntimeError):
    """A study could not run or could not produce its outputs."""


class WireError(QuantaCoreError, ValueError):
    """A wire message was malformed, oversized, of the wrong version or otherwise rejected."""


class BackendError(QuantaCoreError, RuntimeError):
    """A simulation backend (stim, qecsim, QuTiP) failed; wraps the library's own exception."""
