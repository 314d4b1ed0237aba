"""Automatic intermittent marking (domain spec §3.6), run after a job's errorsummary is stored.

A failed test job whose every failing group (ERROR) passes (OK at least half the time) in the same
job elsewhere in a window of pushes is probably intermittent: classification 8, "intermittent
needs bugid". A job that was 8 and no longer qualifies goes back to 6 (if it has a NEW line) or 1.

* Same job: the job type name with the characters "-cf" stripped from both ends (Python `strip`
  semantics, as Treeherder) and a trailing "-<chunk number>" dropped.
* Window: try uses only the current push; other repositories the current push and up to 3 older
  pushes (20 for autoland) from the 36 hours before it, as a push-id range.
* Counted: jobs classified 1, 4, 6 or 8 with result success or testfailed, their OK/ERROR groups.
* A group passes across the window, and separately within the current push, at >= 50 % OK.
  A job of the current push is marked when its ERROR groups all pass within the current push; a job
  of an older push when they all pass across the window (and the window has more than one push).
* "Infra" failures (jobs without group data): among same-named completed jobs in the window (only
  the current push when the current job failed), failed jobs without groups are marked 8 unless
  classified 4/8; over a 50 % failure rate, jobs at 8 are unmarked instead.
* Only `testfailed` jobs change (8 only from 1 or 6). Unlike Treeherder (a queryset update), the
  change bumps `last_modified` and is published (jobChanged, and jobFailures' CLASSIFIED).
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.failures.models import GroupStatus, TextLogError
from apps.jobs.models import FailureClassification, Job, JobLog
from apps.live.events import JobChanged
from apps.live.publish import publish
from apps.pushes.models import Push

OK, ERROR = GroupStatus.Status.OK, GroupStatus.Status.ERROR
WINDOW = datetime.timedelta(hours=36)
OLDER_PUSHES = 3
OLDER_PUSHES_AUTOLAND = 20
COUNTED_CLASSIFICATIONS = (1, 4, 6, 8)
INTERMITTENT = FailureClassification.INTERMITTENT_NEEDS_BUGID


def normalized_job_name(name: str) -> str:
    stripped = name.strip("-cf")
    head, _, tail = stripped.rpartition("-")
    return head if head and tail.isdigit() else stripped


def push_window(job: Job) -> list[int]:
    """The push ids considered, newest (the job's) first."""
    ids = [job.push_id]
    if job.repository.name == "try":
        return ids
    limit = OLDER_PUSHES_AUTOLAND if job.repository.name == "autoland" else OLDER_PUSHES
    older = (
        Push.objects.filter(repository_id=job.repository_id, time__gte=job.push.time - WINDOW, id__lt=job.push_id)
        .order_by("-id")
        .values_list("id", flat=True)[:limit]
    )
    return ids + list(older)


def intermittents_mark(job: Job) -> list[int]:
    """Re-evaluate the job's window; returns the ids of jobs whose classification changed."""
    if job.result not in (Job.Result.SUCCESS, Job.Result.TESTFAILED):
        return []
    if job.failure_classification_id not in COUNTED_CLASSIFICATIONS:
        return []
    name = normalized_job_name(job.job_type.name)
    pushes = push_window(job)
    low, high = min(pushes), max(pushes)
    rows = GroupStatus.objects.filter(
        job_log__job__repository_id=job.repository_id,
        job_log__job__push__id__range=(low, high),
        job_log__job__job_type__name__startswith=name,
        job_log__job__failure_classification_id__in=COUNTED_CLASSIFICATIONS,
        job_log__job__result__in=(Job.Result.SUCCESS, Job.Result.TESTFAILED),
        status__in=(OK, ERROR),
    ).exclude(group__name="")
    per_push: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))  # push, group, job
    per_job: dict[int, dict[str, int]] = defaultdict(dict)
    job_push: dict[int, int] = {}
    classification: dict[int, int] = {}
    grouped_jobs: set[int] = set()
    for group, job_id, status, type_name, push_id, fc in rows.values_list(
        "group__name",
        "job_log__job_id",
        "status",
        "job_log__job__job_type__name",
        "job_log__job__push_id",
        "job_log__job__failure_classification_id",
    ).order_by("-job_log__job__push_id"):
        grouped_jobs.add(job_id)
        if normalized_job_name(type_name) != name:
            continue  # a variant (e.g. "-swr"), not the same job
        classification.setdefault(job_id, fc)
        job_push[job_id] = push_id
        per_push[push_id][group].setdefault(job_id, status)
        per_job[job_id].setdefault(group, status)

    to_mark: set[int] = set()
    to_unmark: set[int] = set()
    if len(grouped_jobs) != 1:
        current = per_push.get(job.push_id, {})
        passing_window = set()
        passing_current = set()
        for group, results in current.items():
            everywhere = [s for p in per_push.values() for s in p.get(group, {}).values()]
            if _pass_rate(everywhere) >= 0.5:
                passing_window.add(group)
            if _pass_rate(list(results.values())) >= 0.5:
                passing_current.add(group)
        for job_id, groups in per_job.items():
            failing = {g for g, s in groups.items() if s == ERROR}
            in_current = job_push[job_id] == job.push_id
            if (in_current and failing <= passing_current) or (
                not in_current and len(pushes) > 1 and failing <= passing_window
            ):
                to_mark.add(job_id)
            elif classification[job_id] == INTERMITTENT:
                to_unmark.add(job_id)
    infra_mark, infra_unmark = _infra(job, grouped_jobs, pushes)
    return _apply(to_mark | infra_mark, to_unmark | infra_unmark)


def _pass_rate(statuses: list[int]) -> float:
    return sum(1 for s in statuses if s == OK) / len(statuses) if statuses else 0.0


def _infra(job: Job, grouped_jobs: set[int], pushes: list[int]) -> tuple[set[int], set[int]]:
    window = pushes if job.result == Job.Result.SUCCESS else [job.push_id]
    parsed = JobLog.objects.filter(job_id=OuterRef("pk"), status__in=(JobLog.Status.PARSED, JobLog.Status.SKIPPED_SIZE))
    extra = list(
        Job.objects.filter(
            repository_id=job.repository_id,
            push__id__range=(min(window), max(window)),
            job_type__name=job.job_type.name,
            failure_classification_id__in=(1, 6, 8),
            state=Job.State.COMPLETED,
            result__in=(Job.Result.BUSTED, Job.Result.TESTFAILED, Job.Result.EXCEPTION, Job.Result.SUCCESS),
        )
        .filter(Exists(parsed))
        .values_list("id", "result", "failure_classification_id")
    )
    if not any(fc != INTERMITTENT for _, _, fc in extra):
        return set(), set()
    failed = [(i, fc) for i, result, fc in extra if i not in grouped_jobs and result != Job.Result.SUCCESS]
    unmark = {i for i, fc in failed if fc == INTERMITTENT} if len(failed) / len(extra) > 0.5 else set()
    mark = {i for i, fc in failed if fc not in (FailureClassification.INTERMITTENT, INTERMITTENT)}
    return mark, unmark


def _apply(mark: set[int], unmark: set[int]) -> list[int]:
    if mark or unmark:
        # Lock every job this changes up front, in id order as every writer of job rows does
        # (apps/classification/services.py): marking some and then unmarking others took their
        # locks in two runs, an order a sheriff's classifyJobs on the same jobs could cross.
        list(Job.objects.select_for_update().filter(id__in=mark | unmark).order_by("id").values_list("id", flat=True))
    now = timezone.now()
    changed: list[int] = []
    if mark:
        targets = list(
            Job.objects.filter(
                id__in=mark, result=Job.Result.TESTFAILED, failure_classification_id__in=(1, 6)
            ).values_list("id", flat=True)
        )
        Job.objects.filter(id__in=targets).update(failure_classification_id=INTERMITTENT, last_modified=now)
        changed += targets
    if unmark:
        back = Job.objects.filter(id__in=unmark, result=Job.Result.TESTFAILED, failure_classification_id=INTERMITTENT)
        with_new = set(
            TextLogError.objects.filter(job_id__in=unmark, new_failure=True).values_list("job_id", flat=True)
        )
        for job_id in back.values_list("id", flat=True):
            fc = FailureClassification.NEW_FAILURE if job_id in with_new else FailureClassification.NOT_CLASSIFIED
            Job.objects.filter(id=job_id).update(failure_classification_id=fc, last_modified=now)
            changed.append(job_id)
    if changed:
        jobs = Job.objects.select_related("repository", "machine_platform", "job_type", "job_group")
        publish([JobChanged.from_job(j, changed=("failure_classification",)) for j in jobs.filter(id__in=changed)])
    return changed
