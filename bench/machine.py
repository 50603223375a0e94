"""How much other work on the machine got in the way of a sample.

Two vCPUs leave no slack: a compiler running in another session during a 10 s wrk run can halve a
figure. During each sample the harness measures how long the server waited for a CPU; a sample
where that is more than a trace is taken again, after waiting for CPUs 0 and 1 to go idle.
"""

import os
import time

from loadgen import LOAD_CPU, SERVER_CPU


def _cpu_times(cpus):
    """Per CPU: (total ticks, idle + iowait ticks)."""
    times = {}
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if name.startswith("cpu") and name[3:] in cpus:
                numbers = list(map(int, values))
                times[name[3:]] = (sum(numbers), numbers[3] + numbers[4])
    return times


def cpu_busy_percent(window=0.2):
    """Busy share of the server and load CPUs over a short window, taken between samples when nothing
    of ours runs: anything above a few percent is someone else's work."""
    cpus = (SERVER_CPU, LOAD_CPU)
    before = _cpu_times(cpus)
    time.sleep(window)
    after = _cpu_times(cpus)
    busy = {}
    for cpu in cpus:
        total = after[cpu][0] - before[cpu][0]
        idle = after[cpu][1] - before[cpu][1]
        busy[f"cpu{cpu}"] = round(100.0 * (total - idle) / total, 1) if total else 0.0
    return busy


def _run_delay_ns(pids):
    """Nanoseconds the processes' threads spent runnable but waiting for a CPU (schedstat field 2)."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total


class ServerWait:
    """Measures, over a `with` block, how long the server's threads were ready to run but had no CPU,
    as a share of the block's duration. Near zero when the server has its CPU to itself; a build or
    another busy process on the machine shows up here. (The load generators are short-lived
    children whose schedstat is gone when they exit; they share the fate of CPU 1, which other work
    does not spare either.)"""

    def __init__(self, server_pids):
        self.server_pids = server_pids
        self.share_percent = None

    def __enter__(self):
        self.start = time.monotonic_ns(), _run_delay_ns(self.server_pids)
        return self

    def __exit__(self, *exc):
        elapsed = time.monotonic_ns() - self.start[0]
        waited = _run_delay_ns(self.server_pids) - self.start[1]
        self.share_percent = round(100.0 * waited / elapsed, 1) if elapsed else 0.0
