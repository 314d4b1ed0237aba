"""Reads for failure data: error lines, structured failure lines, and bugs (Bugscache)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from apps.failures.models import Bugscache, FailureLine, TextLogError


def text_log_errors_by_job_ids(job_ids: Iterable[int]) -> dict[int, list[TextLogError]]:
    """Each job's error lines in log order (Treeherder's text_log_errors endpoint orders by id)."""
    found: dict[int, list[TextLogError]] = defaultdict(list)
    for error in TextLogError.objects.filter(job_id__in=list(job_ids)).order_by("job_id", "id"):
        if error.job_id is not None:
            found[error.job_id].append(error)
    return found


def failure_lines_by_job_guids(guids: Iterable[str]) -> dict[str, list[FailureLine]]:
    """Each job's structured failure lines, by errorsummary line number."""
    found: dict[str, list[FailureLine]] = defaultdict(list)
    for line in FailureLine.objects.filter(job_guid__in=list(guids)).order_by("job_guid", "job_log_id", "line"):
        found[line.job_guid].append(line)
    return found


def bugs_by_ids(ids: Iterable[int]) -> dict[int, Bugscache]:
    return Bugscache.objects.in_bulk(list(ids))
