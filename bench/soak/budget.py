"""Where the machine's CPU went during the soak's stream: per process tree, per task message.

The soak runs everything on one machine: the Procfile's processes, the shared services (MariaDB,
RabbitMQ, Redis), and its own load (the publisher, the bot and the sampler in this process, the
subscriber processes). Which rate a machine can carry is the sum of their CPU per message against
its cores, so the report gives that sum, and what the machine spent outside it (other work running
beside the soak, which makes any latency figure of that run pessimistic).

The services are found by process name and are shared: if another suite used them during the run,
their figure includes it (the "outside the soak" line says how busy the rest of the machine was).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psutil

SERVICES = {"mariadbd": "MariaDB", "mysqld": "MariaDB", "beam.smp": "RabbitMQ", "redis-server": "Redis"}


def service_processes() -> dict[str, list[psutil.Process]]:
    found: dict[str, list[psutil.Process]] = {}
    for proc in psutil.process_iter(["name"]):
        label = SERVICES.get(proc.info["name"] or "")
        if label:
            found.setdefault(label, []).append(proc)
    return found


def cpu_seconds(procs: Iterable[psutil.Process], *, children: bool = True) -> float:
    total = 0.0
    for root in procs:
        try:
            tree = [root, *root.children(recursive=True)] if children else [root]
        except psutil.NoSuchProcess:
            continue
        for proc in tree:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle (nor waiting on I/O) since boot."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@dataclass
class CpuBudget:
    """CPU seconds of named groups of processes, between `start()` and `stop()`."""

    groups: dict[str, Callable[[], float]]
    started_at: float = 0.0
    stopped_at: float = 0.0
    machine_start: float = 0.0
    machine_stop: float = 0.0

    def start(self) -> None:
        self._start = {name: read() for name, read in self.groups.items()}
        self.machine_start, self.started_at = machine_busy_seconds(), time.time()

    def stop(self) -> None:
        self._stop = {name: read() for name, read in self.groups.items()}
        self.machine_stop, self.stopped_at = machine_busy_seconds(), time.time()

    def lines(self, messages: int) -> list[str]:
        elapsed = max(1e-9, self.stopped_at - self.started_at)
        per = max(1, messages)
        used = {name: max(0.0, self._stop[name] - self._start[name]) for name in self.groups}
        out = [
            f"CPU budget during the stream ({elapsed:.0f} s, {messages} task messages, {psutil.cpu_count()} cores):",
            "| process | CPU s | share of one core | CPU ms per task message |",
            "|---|---|---|---|",
        ]
        for name, seconds in sorted(used.items(), key=lambda item: -item[1]):
            out.append(f"| {name} | {seconds:.1f} | {seconds / elapsed:.0%} | {seconds * 1000 / per:.2f} |")
        total = sum(used.values())
        machine = self.machine_stop - self.machine_start
        out.append(f"| **all of the soak** | {total:.1f} | {total / elapsed:.0%} | **{total * 1000 / per:.2f}** |")
        out.append(
            f"the machine was busy {machine:.1f} CPU s ({machine / elapsed:.0%} of one core); outside the soak "
            f"{max(0.0, machine - total):.1f} s ({max(0.0, machine - total) / elapsed:.0%}); at this CPU per message "
            f"{psutil.cpu_count()} cores carry about {psutil.cpu_count() * 1000 / max(1e-9, total * 1000 / per):.0f} "
            "task messages a second"
        )
        return out
