"""Event types. Each payload type has a stable `type` string; payloads are small: ids and changed fields.
`NumberedEvent` is a committed event with its cursor, as the relay sends it and replay reads it.

Subscribers load whatever the client selected; the values carried here are only what server-side
filters need (state, result, tier, platform, symbols, classification) without a database read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from apps.jobs.models import Job
    from apps.pushes.models import Push
    from apps.repositories.models import Repository


@dataclass(frozen=True)
class _Event:
    def payload(self) -> dict[str, Any]:
        """What the outbox stores: every field, `changed` as a list (JSON has no tuples)."""
        data = asdict(self)
        data["changed"] = list(data["changed"])
        return data


@dataclass(frozen=True)
class JobChanged(_Event):
    """A job was created or changed. `changed` names what changed: any of
    "created", "state", "result", "tier", "failure_classification", "bug_links", "notes",
    "text_log_errors" (error lines parsed), "new_failure" (with text_log_errors: the parse made the job
    NEW, classification 6; not "failure_classification", which jobFailures reports as CLASSIFIED),
    "bug_suggestions"."""

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

    @classmethod
    def of(
        cls,
        *,
        job_id: int,
        push_id: int,
        repository: Repository,
        guid: str,
        state: str,
        result: str,
        tier: int,
        failure_classification_id: int | None,
        platform: str,
        job_type_symbol: str,
        job_group_symbol: str,
        changed: tuple[str, ...],
    ) -> JobChanged:
        """The one constructor: the job store (from the values it wrote) and `from_job` both call it,
        so the events tests publish are the events ingestion publishes."""
        return cls(
            job_id=job_id,
            push_id=push_id,
            repository_id=repository.id,
            repository=repository.name,
            guid=guid,
            state=state,
            result=result,
            tier=tier,
            failure_classification_id=failure_classification_id or 1,  # never NULL in the database
            platform=platform,
            job_type_symbol=job_type_symbol,
            job_group_symbol=job_group_symbol,
            changed=tuple(changed),
        )

    @classmethod
    def from_job(cls, job: Job, *, changed: tuple[str, ...]) -> JobChanged:
        """From a stored job (its repository, machine platform, type and group are read)."""
        return cls.of(
            job_id=job.id,
            push_id=job.push_id,
            repository=job.repository,
            guid=job.guid,
            state=job.state,
            result=job.result,
            tier=job.tier,
            failure_classification_id=job.failure_classification_id,
            platform=job.machine_platform.platform,
            job_type_symbol=job.job_type.symbol,
            job_group_symbol=job.job_group.symbol,
            changed=changed,
        )


@dataclass(frozen=True)
class PushChanged(_Event):
    """A push was created or changed (its commits, author or time)."""

    type: ClassVar[str] = "push.changed"

    push_id: int
    repository_id: int
    repository: str
    revision: str
    changed: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_push(cls, push: Push, *, changed: tuple[str, ...]) -> PushChanged:
        return cls(
            push_id=push.id,
            repository_id=push.repository_id,
            repository=push.repository.name,
            revision=push.revision,
            changed=changed,
        )


LiveEvent = JobChanged | PushChanged


@dataclass(frozen=True, slots=True)
class NumberedEvent:
    """A committed event with its cursor (`seq`), as the relay sends it and replay reads it."""

    seq: int
    type: str
    repository_id: int
    push_id: int | None
    job_id: int | None
    payload: dict[str, Any]

    def to_message(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "repository_id": self.repository_id,
            "push_id": self.push_id,
            "job_id": self.job_id,
            "payload": self.payload,
        }

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> NumberedEvent:
        return cls(
            seq=data["seq"],
            type=data["type"],
            repository_id=data["repository_id"],
            push_id=data["push_id"],
            job_id=data["job_id"],
            payload=data["payload"],
        )
