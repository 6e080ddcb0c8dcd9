"""Pinning a process to CPUs: every thread it starts afterwards (ZeroMQ's I/O thread) runs there too."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from protocols.affinity import available_cpus, pin_process
from protocols.errors import ConfigError

_CHILD = """
import os, sys, zmq
from protocols.affinity import pin_process
pin_process([int(sys.argv[1])], "controller.cpus")
ctx = zmq.Context()
s = ctx.socket(zmq.PULL)
s.bind("tcp://127.0.0.1:*")  # the I/O thread is running now
masks = {t: open(f"/proc/self/task/{t}/status").read().split("Cpus_allowed_list:")[1].split()[0]
         for t in os.listdir("/proc/self/task")}
print(len(masks), *sorted(set(masks.values())))
s.close(0)
ctx.term()
"""


def test_every_thread_started_after_pinning_runs_on_the_pinned_cpu():
    if not hasattr(os, "sched_setaffinity"):  # no CPU affinity in this OS: the setting is refused, by name
        with pytest.raises(ConfigError, match=r"controller\.cpus: this operating system cannot pin"):
            pin_process([0], "controller.cpus")
        return
    cpu = max(available_cpus())
    out = subprocess.run([sys.executable, "-c", _CHILD, str(cpu)], capture_output=True, text=True, timeout=60, check=True)
    n_threads, *masks = out.stdout.split()
    assert int(n_threads) >= 2  # the main thread and ZeroMQ's I/O thread (and its reaper)
    assert masks == [str(cpu)]


def test_a_cpu_this_process_may_not_use_is_refused_naming_the_setting():
    before = available_cpus()
    bad = max(before) + 1000
    with pytest.raises(ConfigError, match=rf"emulator\.cpus: CPU\(s\) \[{bad}\] are not available.*may use \[{min(before)}\]"):
        pin_process([min(before), bad], "emulator.cpus")
    with pytest.raises(ConfigError, match=rf"emulator\.cpus: cannot run on CPU\(s\) \[{bad}\]"):
        pin_process([bad], "emulator.cpus")
    assert available_cpus() == before  # nothing changed
    pin_process(None, "emulator.cpus")
    assert available_cpus() == before
