"""Push Health (reads): a push's test, build and lint failures and their verdict (spec §5
`push/health/`, `push/health_summary/`), for any number of pushes in two SQL queries.

Jobs of tier 1-2 fall in one category each, as Treeherder's: **lint** (platform "lint" or symbol
"mozlint"), **build** (job type name containing "build", any case), else **test**. A failure is a
`testfailed` test or lint job, or a `busted` build job. Each category's result:

* `none`: no job of the category; `fail`: a failure that needs investigation; `unknown`: none of
  those but jobs still running (result unknown); else `pass`.
* A test failure needs investigation unless it is classified (known intermittent: 4, 7, 8; fixed
  by commit: 2; expected fail 3 and infra 5 count as classified too). Build and lint failures always
  count, classified or not, as in Treeherder.

The push's result folds the three as Treeherder does (tests, linting, builds in that order):
`indeterminate` replaces anything; `unknown` replaces anything but `fail`; `fail` replaces anything.
`needInvestigation` = test failures needing investigation + build failures + lint failures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, Q, Value, When
from django.db.models.functions import Lower

from apps.jobs.models import FailureClassification, Job

LINT, BUILD, TEST = "lint", "build", "test"
FAILURE_RESULT = {LINT: Job.Result.TESTFAILED, BUILD: Job.Result.BUSTED, TEST: Job.Result.TESTFAILED}
NEEDS_INVESTIGATION_IDS = frozenset({FailureClassification.NOT_CLASSIFIED, FailureClassification.NEW_FAILURE})
KNOWN_INTERMITTENT_IDS = frozenset(
    {
        FailureClassification.INTERMITTENT,
        FailureClassification.AUTOCLASSIFIED_INTERMITTENT,
        FailureClassification.INTERMITTENT_NEEDS_BUGID,
    }
)


def health_classification(fc: int) -> str:
    if fc in NEEDS_INVESTIGATION_IDS:
        return "needs_investigation"
    if fc in KNOWN_INTERMITTENT_IDS:
        return "known_intermittent"
    if fc == FailureClassification.FIXED_BY_COMMIT:
        return "fixed_by_commit"
    return "other"


@dataclass
class Metric:
    jobs: int = 0
    failures: int = 0
    needs_investigation: int = 0
    in_progress: int = 0

    @property
    def result(self) -> str:
        if not self.jobs:
            return "none"
        if self.needs_investigation:
            return "fail"
        return "unknown" if self.in_progress else "pass"


@dataclass
class HealthSummary:
    push_id: int
    metrics: dict[str, Metric] = field(default_factory=lambda: {TEST: Metric(), BUILD: Metric(), LINT: Metric()})

    @property
    def result(self) -> str:
        verdict = "pass"
        for name in (TEST, LINT, BUILD):
            result = self.metrics[name].result
            if result == "indeterminate" or (result == "unknown" and verdict != "fail") or result == "fail":
                verdict = result
        return verdict

    @property
    def need_investigation(self) -> int:
        m = self.metrics
        return m[TEST].needs_investigation + m[BUILD].failures + m[LINT].failures


@dataclass(frozen=True)
class HealthFailure:
    job_id: int
    category: str
    classification: str


def _category() -> Case:
    return Case(
        When(Q(machine_platform__platform="lint") | Q(job_type__symbol="mozlint"), then=Value(LINT)),
        When(Q(lower_type_name__contains="build"), then=Value(BUILD)),
        default=Value(TEST),
        output_field=CharField(),
    )


def _jobs(push_ids: list[int]):  # type: ignore[no-untyped-def]
    return (
        Job.objects.filter(push_id__in=push_ids, tier__lte=2)
        .annotate(lower_type_name=Lower("job_type__name"))
        .annotate(category=_category())
    )


def health_summaries(push_ids: Iterable[int]) -> dict[int, HealthSummary]:
    """Every push's summary from one aggregate query."""
    ids = sorted(set(push_ids))
    found = {push_id: HealthSummary(push_id) for push_id in ids}
    if not ids:
        return found
    rows = (
        _jobs(ids)
        .values("push_id", "category", "result", "failure_classification_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        metric = found[row["push_id"]].metrics[row["category"]]
        metric.jobs += row["n"]
        if row["result"] == Job.Result.UNKNOWN:
            metric.in_progress += row["n"]
        elif row["result"] == FAILURE_RESULT[row["category"]]:
            metric.failures += row["n"]
            if row["category"] != TEST or row["failure_classification_id"] in NEEDS_INVESTIGATION_IDS:
                metric.needs_investigation += row["n"]
    return found


def health_failures(push_ids: Iterable[int]) -> dict[int, list[HealthFailure]]:
    """Every push's failed jobs (in job id order), from one query."""
    ids = sorted(set(push_ids))
    found: dict[int, list[HealthFailure]] = defaultdict(list)
    if not ids:
        return found
    rows = (
        _jobs(ids)
        .filter(result__in=(Job.Result.TESTFAILED, Job.Result.BUSTED))
        .values_list("id", "push_id", "category", "result", "failure_classification_id")
        .order_by("id")
    )
    for job_id, push_id, category, result, fc in rows:
        if result == FAILURE_RESULT[category]:
            found[push_id].append(HealthFailure(job_id, category, health_classification(fc)))
    return found
