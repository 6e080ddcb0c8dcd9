"""The loop as users run it: emulator and controller as separate OS processes over real ZeroMQ sockets.

These are also the latency-budget tests a team writes for its own stack: fixed rounds, no lost round, the CI
budget (configs/budgets/ci.yaml) met with latency measured by the controller, never assumed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
import zmq

from controller.latency import load_budget
from protocols.affinity import available_cpus
from protocols.endpoints import data_address
from conftest import device_process
from protocols.timetags import RecordType

ROUNDS = 3000


def _config(tmp_path: Path, **emulator) -> Path:
    cfg = yaml.safe_load(Path("configs/default.yaml").read_text())
    cfg["emulator"].update(emulator)
    cfg["code"]["distance"] = 3
    cfg["code"]["rounds"] = 3
    cfg["controller"]["policy"] = {}
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.parametrize("transport", ["ipc", "tcp", "ipc-pinned", "ipc-busy-poll"])
def test_run_as_processes_loses_no_round_and_meets_the_ci_budget(tmp_path, transport):
    cfg = _config(tmp_path)
    cpus = sorted(available_cpus())
    busy = transport == "ipc-busy-poll"
    if busy:  # one block per message, taken by the compiled intake while the controller busy-polls
        transport = "ipc"
        data = yaml.safe_load(cfg.read_text())
        data["emulator"]["blocks_per_batch"], data["controller"]["busy_poll_us"] = 1, 300
        cfg.write_text(yaml.safe_dump(data))
    if transport == "ipc-pinned":  # each process on its own CPU where there are two (emulator first, controller last)
        transport = "ipc"
        data = yaml.safe_load(cfg.read_text())
        data["emulator"]["cpus"], data["controller"]["cpus"] = [cpus[0]], [cpus[-1]]
        cfg.write_text(yaml.safe_dump(data))
        cpus = [cpus[-1]]
    summary = tmp_path / "summary.json"
    proc = subprocess.run(
        [sys.executable, "-m", "quantacore", "run", "--config", str(cfg), "--rounds", str(ROUNDS),
         "--summary", str(summary), "--transport", transport, "--timeout", "240"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    s = json.loads(summary.read_text())
    assert s["rounds"] >= ROUNDS and s["rounds_lost"] == 0 and s["rounds_discarded"] == 0
    assert s["transport"].get("seq_gaps", 0) == 0 and s["transport"].get("rejected", 0) == 0
    assert s["blocks"] == s["rounds"] // 4
    assert s["acks"]["applied"] == s["commands_sent"] > 0
    # The latency budget, measured: end-to-end percentiles and deadline misses against configs/budgets/ci.yaml.
    b = load_budget("configs/budgets/ci.yaml")
    e2e = s["latency_us"]["end_to_end"]
    assert e2e["count"] >= ROUNDS
    assert e2e["p50"] <= b.p50_us and e2e["p99"] <= b.p99_us, e2e
    assert s["deadline_misses"] <= b.max_deadline_miss_fraction * e2e["count"]
    assert "logical errors" in proc.stdout
    assert s["cpus"] == cpus
    assert (s["transport"]["intake_frames"] > 0) == busy


def test_the_default_run_as_make_run_runs_it(tmp_path):
    # configs/default.yaml unchanged (d=5, 20 blocks per message: large batches), fewer rounds.
    summary = tmp_path / "summary.json"
    proc = subprocess.run(
        [sys.executable, "-m", "quantacore", "run", "--config", "configs/default.yaml", "--rounds", "6000",
         "--summary", str(summary), "--timeout", "240"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    s = json.loads(summary.read_text())
    assert s["rounds"] >= 6000 and s["rounds_lost"] == 0 and s["code"]["distance"] == 5
    assert s["blocks"] == s["rounds"] // 6 and s["transport"].get("rejected", 0) == 0
    assert s["acks"]["applied"] == s["commands_sent"] > 0


@pytest.fixture
def emulator_process(tmp_path):
    """A real emulator process at realtime pace, stopped in teardown whatever happens."""
    cfg = _config(tmp_path, pace="realtime", blocks_per_batch=5)
    with device_process(str(cfg), f"ipc://{tmp_path}/dev", 40000) as (p, ready):
        yield p, ready


def test_rounds_arrive_in_order_and_every_gap_is_a_missed_event_record(emulator_process):
    """A controller that stalls makes the device drop batches at its high-water mark: each round gap is
    followed by MISSED_EVENTS records whose counts add up to exactly the tags the device dropped."""
    from protocols.wire import (
        ChannelMap, CodeSpec, ControlEndpoint, ControlSession, DataReceiver, Goodbye, Role, SessionConfig,
        TimeTagBatch,
    )

    proc, ready = emulator_process
    ctx = zmq.Context()
    session = ControlSession(SessionConfig(
        endpoint="test-controller", role=Role.CONTROLLER,
        code=CodeSpec(family="rotated_surface", distance=3, rounds=3, basis="Z"),
        channel_map=ChannelMap(qubits=np.zeros(0, "<i4"), rails=np.zeros((0, 2), "<i4")),
        clock_hz=1e6, epoch_ns=0, heartbeat_ms=1000, missed_heartbeats=30,
    ))
    control = ControlEndpoint(ctx, session, ready["control"])
    data = DataReceiver(ctx, data_address(ready["control"]), hwm=4)
    try:
        control.start()
        t_end = time.monotonic() + 30
        while not session.established and time.monotonic() < t_end:
            control.poll(50)
        assert session.established
        batches = []
        stalled = False
        bye = False
        t_end = time.monotonic() + 120
        while time.monotonic() < t_end:
            msg = data.recv(timeout_ms=200)
            if isinstance(msg, TimeTagBatch):
                batches.append((int(msg.first_round), int(msg.n_rounds), np.array(msg.tags)))
                if len(batches) == 20 and not stalled:
                    stalled = True
                    time.sleep(0.5)  # the controller stalls: the device keeps its clock and must drop
            for m in control.poll(0):
                bye |= isinstance(m, Goodbye)
            if batches and batches[-1][0] + batches[-1][1] >= 40000 or bye or proc.poll() is not None:
                break
        # Let the device finish: it leaves once we say goodbye.
        control.send(session.goodbye("test done", time.monotonic_ns()))
        out, _ = proc.communicate(timeout=60)
    finally:
        data.close()
        control.close()
        ctx.destroy(0)
    done = json.loads([ln for ln in out.splitlines() if '"done"' in ln][-1])
    assert done["dropped_batches"] > 0, "the stall did not make the device drop anything; the test proves nothing"
    expected = 0
    missed_total = 0
    gaps = 0
    for first, n, tags in batches:
        assert first >= expected, "rounds out of order"
        missed = int(tags["missed"][tags["type"] == RecordType.MISSED_EVENTS].sum())
        if first > expected:
            gaps += 1
            assert missed > 0, f"rounds {expected}..{first - 1} vanished without a MISSED_EVENTS record"
        missed_total += missed
        expected = first + n
    assert gaps > 0
    assert missed_total == done["dropped_events"]
