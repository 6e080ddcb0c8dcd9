"""The on-disk cache of bosonic results: keys, round trips, atomic concurrent writes."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import numpy as np
import pytest

from emulator.physics.bosonic import cache
from protocols.errors import ConfigError


def test_round_trip_and_key(tmp_path: Path) -> None:
    params = {"alpha2": [1.0, 2.0], "kappa_1": 1e-3}
    assert cache.load("demo", params, tmp_path) is None
    cache.store("demo", params, {"x": np.arange(3.0)}, tmp_path)
    np.testing.assert_array_equal(cache.load("demo", params, tmp_path)["x"], np.arange(3.0))
    assert cache.cache_key("demo", params) == cache.cache_key("demo", dict(reversed(list(params.items()))))
    assert cache.cache_key("demo", params) != cache.cache_key("demo", {**params, "kappa_1": 2e-3})


def test_cached_computes_once(tmp_path: Path) -> None:
    calls = []

    def compute() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"y": np.ones(2)}

    cache.cached("demo", {"a": 1}, compute, tmp_path)
    cache.cached("demo", {"a": 1}, compute, tmp_path)
    assert len(calls) == 1


def test_environment_variable_sets_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUANTACORE_CACHE", str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("QUANTACORE_CACHE")
    assert cache.cache_dir() == Path.home() / ".cache" / "quantacore"


def test_corrupt_file_is_a_miss(tmp_path: Path) -> None:
    path = cache.cache_path("demo", {"a": 2}, tmp_path)
    path.write_bytes(b"not an npz")
    assert cache.load("demo", {"a": 2}, tmp_path) is None


def _writer(directory: str, seed: int) -> None:
    for i in range(20):
        cache.store("race", {"k": 1}, {"v": np.full(20000, seed * 100 + i, dtype=np.int64)}, Path(directory))


def test_concurrent_writers_never_leave_a_torn_file(tmp_path: Path) -> None:
    # Four processes overwrite one entry while we read: every read is complete (one writer's whole array).
    # fork: the children need nothing but this module's already-imported code (spawn would re-import QuTiP).
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), s)) for s in range(4)]
    for p in procs:
        p.start()
    while any(p.is_alive() for p in procs):
        hit = cache.load("race", {"k": 1}, tmp_path)
        if hit is not None:
            v = hit["v"]
            assert v.shape == (20000,) and np.all(v == v[0])
    for p in procs:
        p.join()
        assert p.exitcode == 0
    assert cache.load("race", {"k": 1}, tmp_path) is not None
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_params() -> None:
    with pytest.raises(ConfigError, match="finite JSON"):
        cache.cache_key("demo", {"x": float("nan")})
    with pytest.raises(ConfigError, match="identifier"):
        cache.cache_key("../evil", {})
