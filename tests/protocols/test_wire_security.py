"""Loopback detection, CURVE key files and the `quantacore keys` command."""

import os
import stat
import subprocess
import sys

import pytest

from protocols.errors import WireError
from protocols.wire import check_address, is_loopback, load_keypair, make_keypair
from protocols.wire.security import Curve, KeyPair


@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("tcp://127.0.0.1:5555", True),
        ("tcp://127.0.0.2:*", True),
        ("tcp://localhost:5555", True),
        ("tcp://[::1]:5555", True),
        ("ipc:///tmp/x", True),
        ("inproc://x", True),
        ("tcp://127.0.0.1;127.0.0.1:5555", True),
        ("tcp://*:5555", False),
        ("tcp://0.0.0.0:5555", False),
        ("tcp://192.168.1.4:5555", False),
        ("tcp://eth0:5555", False),
        ("tcp://daq.lab.example:5555", False),
        ("tcp://127.0.0.1;10.0.0.1:5555", False),
        ("udp://127.0.0.1:5555", False),
    ],
)
def test_is_loopback(address, local):
    assert is_loopback(address) is local


def test_check_address_needs_curve_off_loopback():
    with pytest.raises(WireError, match=r"'tcp://\*:5555' is not a loopback address"):
        check_address("tcp://*:5555", None, "data sender")
    check_address("tcp://*:5555", Curve(KeyPair(public=b"p" * 40, secret=b"s" * 40)), "data sender")


def test_make_keypair_files(tmp_path):
    pub, sec = make_keypair(tmp_path, "dev")
    assert pub.name == "dev.public" and sec.name == "dev.secret"
    assert stat.S_IMODE(os.stat(sec).st_mode) == 0o600
    keys = load_keypair(tmp_path, "dev")
    assert len(keys.public) == len(keys.secret) == 40 and keys.public != keys.secret
    assert "secret=<hidden>" in repr(keys) and keys.secret.decode() not in repr(keys)
    with pytest.raises(WireError, match="exists; refusing to overwrite"):
        make_keypair(tmp_path, "dev")
    (tmp_path / "bad.public").write_text("short\n")
    (tmp_path / "bad.secret").write_text("short\n")
    with pytest.raises(WireError, match="expected a 40-character Z85 key"):
        load_keypair(tmp_path, "bad")


def test_keys_command(tmp_path):
    out = subprocess.run([sys.executable, "-m", "quantacore", "keys", str(tmp_path / "k"), "--name", "ctl"],
                         capture_output=True, text=True, check=True)
    assert "ctl.public" in out.stdout
    assert len(load_keypair(tmp_path / "k", "ctl").public) == 40
