"""The conformance checker passes our own device endpoint and fails one that ignores the protocol."""

import threading
import time

import numpy as np
import pytest
import zmq

from protocols.timetags import TIMETAG_DTYPE
from protocols.wire import (
    ChannelMap,
    CodeSpec,
    CommandStatus,
    ControlEndpoint,
    ControlSession,
    DataSender,
    FeedbackCommand,
    Role,
    SessionConfig,
)
from protocols.wire.conformance import check_device

CODE = CodeSpec(family="repetition", distance=3, rounds=3, basis="Z")


def config(role, name, hb=100):
    return SessionConfig(endpoint=name, role=role, code=CODE, channel_map=ChannelMap.from_pairs({0: (0, 1)}),
                         clock_hz=1e6, epoch_ns=0, heartbeat_ms=hb)


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def test_our_device_passes(ctx):
    dev = ControlEndpoint(ctx, ControlSession(config(Role.DEVICE, "emulator")), "tcp://127.0.0.1:*")
    tx = DataSender(ctx, "tcp://127.0.0.1:*")
    stop = threading.Event()

    def serve():
        r = 0
        while not stop.is_set():
            for cmd in dev.poll(5):  # a device acknowledges every command it takes
                if isinstance(cmd, FeedbackCommand):
                    dev.send(dev.session.acknowledge(cmd.command_id, CommandStatus.APPLIED, cmd.apply_at_round,
                                                     time.monotonic_ns()))
            tags = np.zeros(4, TIMETAG_DTYPE)
            tags["time_ps"] = [1, 2, 3, 4]
            if tx.send_batch(r, 1, tags):
                r += 1
            time.sleep(0.002)

    th = threading.Thread(target=serve)
    th.start()
    try:
        report = check_device(dev.address, config(Role.CONTROLLER, "checker"), data=tx.address, timeout_s=3.0)
    finally:
        stop.set()
        th.join(5)
        dev.close()
        tx.close()
    assert report.ok, "\n".join(report.lines())
    assert [c.name for c in report.checks] == [
        "handshake", "version_refused", "malformed_answered", "heartbeat", "command_acknowledged", "data_frames"
    ]


def test_a_silent_router_fails(ctx):
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    try:
        report = check_device(f"tcp://127.0.0.1:{port}", config(Role.CONTROLLER, "checker", hb=50), timeout_s=0.2)
    finally:
        router.close(0)
    assert not report.ok
    assert {c.name for c in report.checks if not c.passed} == {
        "handshake", "version_refused", "malformed_answered", "heartbeat", "command_acknowledged"
    }
