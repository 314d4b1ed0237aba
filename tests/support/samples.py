"""The Pulse sample data the project ships (sample_data/, see its PROVENANCE.md), loaded for tests."""

from __future__ import annotations

import copy
import functools
from typing import Any

from devtools.samples import sample_read

_load = functools.cache(sample_read)


def sample(name: str) -> Any:
    """A fresh copy of sample_data/pulse_consumer/<name>.json."""
    return copy.deepcopy(_load(name))


def sample_task_push(task_id: str) -> tuple[dict[str, Any], Any]:
    """A sample task's definition, and the push its Treeherder route names, created on its repository."""
    from apps.jobs.services.taskcluster import route_origins
    from apps.pushes.models import Push
    from apps.repositories.models import Repository

    definition = sample("taskcluster_tasks")[task_id]
    origin = route_origins(definition["routes"])[0]
    push = Push.objects.create(
        repository=Repository.objects.get(name=origin["project"]),
        revision=origin["revision"],
        author="a@b.c",
        time="2019-06-26T19:00:00Z",
    )
    return definition, push
