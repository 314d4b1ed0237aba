"""Push Health in GraphQL: `pushHealth(repository, revision)` and `Push.healthSummary`, shaped after
Treeherder's `push/health/` and `push/health_summary/` (rules in apps/failures/health.py)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from apps.failures.health import BUILD, LINT, TEST, HealthFailure, HealthSummary, Metric
from schema.failures.dataloaders import (
    FailureLinesByJobGuidLoader,
    HealthFailuresByPushIdLoader,
    HealthSummaryByPushIdLoader,
)
from schema.info import Info
from schema.jobs.dataloaders import JobByIdLoader

if TYPE_CHECKING:
    from schema.jobs.types import Job


@strawberry.enum(description="A metric's or a push's verdict (Treeherder's values).")
class HealthResult(Enum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    INDETERMINATE = "indeterminate"
    UNKNOWN = "unknown"
    NONE = "none"


@strawberry.enum(description="What a failure's classification says about it.")
class HealthClassification(Enum):
    NEEDS_INVESTIGATION = "needs_investigation"
    KNOWN_INTERMITTENT = "known_intermittent"
    FIXED_BY_COMMIT = "fixed_by_commit"
    OTHER = "other"


@strawberry.type(description="A failed job of a push: a testfailed test or lint job, or a busted build.")
class PushHealthFailure:
    category: str = strawberry.field(description="test, build or lint.")
    classification: HealthClassification
    job_id: strawberry.Private[int]

    @strawberry.field
    async def job(self, info: Info) -> Annotated[Job, strawberry.lazy("schema.jobs.types")] | None:
        from schema.jobs.types import Job  # at run time: schema.jobs.types imports this module's siblings

        row = await JobByIdLoader.of(info).load(self.job_id)
        return Job.from_model(row) if row is not None else None

    @strawberry.field(description="The tests that failed in it (its errorsummary's test_result lines).")
    async def failed_tests(self, info: Info) -> list[str]:
        row = await JobByIdLoader.of(info).load(self.job_id)
        if row is None:
            return []
        lines = await FailureLinesByJobGuidLoader.of(info).load(row.guid)
        return list(dict.fromkeys(line.test for line in lines if line.action == "test_result" and line.test))


@strawberry.type(description="One category of a push's jobs (tier 1-2).")
class PushHealthMetric:
    name: str
    result: HealthResult
    jobs: int
    failures: int = strawberry.field(description="Failed jobs, classified or not.")
    need_investigation: int = strawberry.field(description="Failures that are not classified (all, for builds/lint).")
    in_progress: int

    @classmethod
    def build(cls, name: str, metric: Metric) -> PushHealthMetric:
        return cls(
            name=name,
            result=HealthResult(metric.result),
            jobs=metric.jobs,
            failures=metric.failures,
            need_investigation=metric.needs_investigation,
            in_progress=metric.in_progress,
        )


@strawberry.type(description="A push's health at a glance (Treeherder's push/health_summary/).")
class PushHealthSummary:
    result: HealthResult
    need_investigation: int
    tests: PushHealthMetric
    builds: PushHealthMetric
    linting: PushHealthMetric

    @classmethod
    def build(cls, summary: HealthSummary) -> PushHealthSummary:
        m = summary.metrics
        return cls(
            result=HealthResult(summary.result),
            need_investigation=summary.need_investigation,
            tests=PushHealthMetric.build("Tests", m[TEST]),
            builds=PushHealthMetric.build("Builds", m[BUILD]),
            linting=PushHealthMetric.build("Linting", m[LINT]),
        )


@strawberry.type(description="A push's health with its failures (Treeherder's push/health/).")
class PushHealth:
    revision: str
    push_id: strawberry.Private[int]

    @strawberry.field
    async def summary(self, info: Info) -> PushHealthSummary:
        return PushHealthSummary.build(await HealthSummaryByPushIdLoader.of(info).load(self.push_id))

    @strawberry.field(description="Failed jobs, in job id order.")
    async def failures(self, info: Info, category: str | None = None) -> list[PushHealthFailure]:
        found: list[HealthFailure] = await HealthFailuresByPushIdLoader.of(info).load(self.push_id)
        return [
            PushHealthFailure(
                category=f.category, classification=HealthClassification(f.classification), job_id=f.job_id
            )
            for f in found
            if category is None or f.category == category
        ]
