"""Server-side filters: decide from an event's payload alone, without reading the database."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from apps.jobs.models import FailureClassification, Job
from schema.live.types import JobEventFilter, JobFailureKind

FAILED_RESULTS = ("testfailed", "busted", "exception")


@dataclass(frozen=True)
class JobFilter:
    results: frozenset[str] | None = None
    states: frozenset[str] | None = None
    tiers: frozenset[int] | None = None
    platforms: frozenset[str] | None = None
    symbols: frozenset[str] | None = None

    @classmethod
    def from_input(cls, given: JobEventFilter | None) -> JobFilter:
        if given is None:
            return cls()

        def values(items: Collection[Any] | None) -> frozenset[Any] | None:
            if items is None:
                return None
            return frozenset(getattr(item, "value", item) for item in items)

        return cls(
            results=values(given.results),
            states=values(given.states),
            tiers=values(given.tiers),
            platforms=values(given.platforms),
            symbols=values(given.symbols),
        )

    def accepts(self, payload: dict[str, Any]) -> bool:
        if self.results is not None and payload["result"] not in self.results:
            return False
        if self.states is not None and payload["state"] not in self.states:
            return False
        if self.tiers is not None and payload["tier"] not in self.tiers:
            return False
        if self.platforms is not None and payload["platform"] not in self.platforms:
            return False
        return self.symbols is None or bool({payload["job_type_symbol"], payload["job_group_symbol"]} & self.symbols)


@dataclass(frozen=True)
class FailureFilter:
    """jobFailures: which failed jobs, and which of their changes, a bot hears about."""

    tiers: frozenset[int]
    results: frozenset[str]
    unclassified_only: bool

    def kind(self, payload: dict[str, Any]) -> JobFailureKind | None:
        if payload["result"] not in self.results or payload["tier"] not in self.tiers:
            return None
        changed = set(payload["changed"])
        if "failure_classification" in changed:
            # Always told, so a bot can drop a failure someone classified meanwhile.
            return JobFailureKind.CLASSIFIED
        unclassified = payload["failure_classification_id"] in FailureClassification.UNCLASSIFIED_IDS
        if self.unclassified_only and not unclassified:
            return None
        if changed & {"text_log_errors", "bug_suggestions"}:
            return JobFailureKind.ERRORS_READY
        if changed & {"created", "state", "result"} and payload["state"] == Job.State.COMPLETED:
            return JobFailureKind.COMPLETED
        return None
