"""CPU affinity of a process: which CPUs the emulator or the controller runs on (`cpus:` in the run config).

Why: a real-time loop on a shared host loses much of its time to the scheduler, not to its own work: the
emulator and the controller exchange messages, each with a ZeroMQ I/O thread, and wake on whichever CPU is
free. A lab host gives the controller CPUs of its own (isolated from the scheduler: `isolcpus=` on the kernel
command line) and pins it there. Applied first thing in a process, before its ZeroMQ context exists, so the
I/O thread started later inherits the same CPUs. Not set by default: on a 2-core machine shared with other
work, pinning the device and the controller to one CPU each changed bench/loop_latency.py's reaction time
by -25 % to +40 % from run to run (no steady gain), since each process's two threads then share one CPU.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from protocols.errors import ConfigError

__all__ = ["available_cpus", "pin_process"]


def available_cpus() -> set[int]:
    """The CPUs the calling thread may run on now (all of them where the OS cannot say)."""
    get = getattr(os, "sched_getaffinity", None)
    if get is None:
        return set(range(os.cpu_count() or 1))
    return set(get(0))


def pin_process(cpus: Sequence[int] | None, where: str) -> None:
    """Restrict the calling thread, and every thread and child process it starts from now on, to `cpus`
    (None: leave it alone); called first thing in a process, that is the whole process.

    `where` names the setting in errors (e.g. "controller.cpus"); a CPU this process may not use is refused
    with the ones it may.
    """
    if cpus is None:
        return
    setter = getattr(os, "sched_setaffinity", None)
    if setter is None:
        raise ConfigError(f"{where}: this operating system cannot pin a process to CPUs; remove the setting")
    before = available_cpus()
    try:
        setter(0, set(cpus))
    except OSError as e:  # EINVAL: none of them may be used (offline, or outside this process's cpuset)
        raise ConfigError(f"{where}: cannot run on CPU(s) {sorted(cpus)}: {e}; this process runs on "
                          f"{sorted(before)}") from e
    got = available_cpus()
    if got != set(cpus):  # the kernel keeps only the CPUs this process may use
        setter(0, before)
        raise ConfigError(f"{where}: CPU(s) {sorted(set(cpus) - got)} are not available to this process; "
                          f"of those asked for it may use {sorted(got)}")
