"""Event payload types. Each has a stable `type` string; payloads are small: ids and changed fields.

Subscribers load whatever the client selected; the values carried here are only what server-side
filters need (state, result, tier, platform, symbols, classification) without a database read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class JobChanged:
    """A job was created or changed. `changed` names what changed: any of
    "created", "state", "result", "tier", "failure_classification", "bug_links", "notes",
    "text_log_errors" (error lines parsed), "bug_suggestions"."""

    type: ClassVar[str] = "job.changed"

    job_id: int
    push_id: int
    repository_id: int
    repository: str
    guid: str
    state: str
    result: str
    tier: int
    failure_classification_id: int
    platform: str
    job_type_symbol: str
    job_group_symbol: str
    changed: tuple[str, ...] = field(default_factory=tuple)

    def payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["changed"] = list(self.changed)
        return data


@dataclass(frozen=True)
class PushChanged:
    """A push was created or changed (its commits, author or time)."""

    type: ClassVar[str] = "push.changed"

    push_id: int
    repository_id: int
    repository: str
    revision: str
    changed: tuple[str, ...] = field(default_factory=tuple)

    def payload(self) -> dict[str, Any]:
        data = asdict(self)
        data["changed"] = list(self.changed)
        return data


LiveEvent = JobChanged | PushChanged
