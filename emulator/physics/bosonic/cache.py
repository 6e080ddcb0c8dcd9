"""On-disk cache of expensive bosonic-model results, keyed by a hash of the parameters that produced them."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from protocols.errors import ConfigError

# Bump when a cached computation changes meaning, so stale entries are never read back.
CACHE_SCHEMA = 1
ENV_VAR = "QUANTACORE_CACHE"

Arrays = dict[str, np.ndarray]


def cache_dir() -> Path:
    """The cache directory: $QUANTACORE_CACHE if set, else ~/.cache/quantacore (not created here)."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "quantacore"


def cache_key(kind: str, params: Mapping[str, object]) -> str:
    """Hex SHA-256 of the kind, the schema version and the parameters as canonical JSON."""
    if not kind.isidentifier():
        raise ConfigError(f"cache kind must be an identifier, got {kind!r}")
    try:
        text = json.dumps(
            {"kind": kind, "schema": CACHE_SCHEMA, "params": params}, sort_keys=True, allow_nan=False
        )
    except (TypeError, ValueError) as e:
        raise ConfigError(
            f"cache parameters for {kind!r} must be finite JSON values (numbers, strings, lists): {e}"
        ) from e
    return hashlib.sha256(text.encode()).hexdigest()


def cache_path(kind: str, params: Mapping[str, object], directory: Path | None = None) -> Path:
    """Path of the npz file that holds (or would hold) the result for these parameters."""
    return (directory or cache_dir()) / f"{kind}-{cache_key(kind, params)[:32]}.npz"


def load(kind: str, params: Mapping[str, object], directory: Path | None = None) -> Arrays | None:
    """The cached arrays for these parameters, or None when absent or unreadable."""
    path = cache_path(kind, params, directory)
    try:
        with np.load(path, allow_pickle=False) as data:
            stored = json.loads(str(data["__params__"]))
            if stored != json.loads(json.dumps(params, sort_keys=True)):
                return None  # a hash-prefix collision: recompute rather than trust it
            return {name: data[name] for name in data.files if name != "__params__"}
    except (OSError, ValueError, KeyError):
        # Missing, truncated by a crash or written by an older numpy: recomputing is always safe.
        return None


def store(kind: str, params: Mapping[str, object], arrays: Mapping[str, np.ndarray],
          directory: Path | None = None) -> Path:
    """Write arrays for these parameters atomically (temp file + os.replace) and return the path."""
    path = cache_path(kind, params, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    if "__params__" in arrays:
        raise ConfigError("array name '__params__' is reserved by the cache")
    payload = {name: np.asarray(value) for name, value in arrays.items()}
    payload["__params__"] = np.asarray(json.dumps(params, sort_keys=True))
    # A unique temp file in the same directory: concurrent writers never share it, and os.replace is atomic
    # on one filesystem, so a reader sees either the old complete file or the new complete file.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".npz.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def cached(kind: str, params: Mapping[str, object], compute: Callable[[], Mapping[str, np.ndarray]],
           directory: Path | None = None) -> Arrays:
    """The cached arrays for these parameters, computing and storing them on a miss."""
    hit = load(kind, params, directory)
    if hit is not None:
        return hit
    arrays = {name: np.asarray(value) for name, value in compute().items()}
    store(kind, params, arrays, directory)
    return arrays
