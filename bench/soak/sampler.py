"""Resource samples of the soak's processes: RSS, open file descriptors, open inet connections.

A Procfile entry is a process tree (bash -c exec'd into the command; a Celery worker's pool
children): each sample sums the tree, since a leak in a pool child is the worker's leak.
File descriptors are counted from /proc/<pid>/fd (psutil.num_fds reads the same).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Sample:
    at: float
    rss: int
    fds: int
    connections: int
    processes: int
    cpu: float = 0.0  # user + system seconds of the tree so far


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def sample(root: psutil.Process) -> Sample:
    rss = fds = connections = count = 0
    cpu = 0.0
    for proc in _tree(root):
        try:
            rss += proc.memory_info().rss
            fds += proc.num_fds()
            connections += len(proc.net_connections(kind="inet"))
            times = proc.cpu_times()
            cpu += times.user + times.system
            count += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return Sample(at=time.time(), rss=rss, fds=fds, connections=connections, processes=count, cpu=cpu)
