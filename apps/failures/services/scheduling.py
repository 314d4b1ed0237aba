"""Which logs to parse when a job completes, and on which queue (domain spec §2.8, §3.1).

Failures come first: a job whose result is not success goes to a `log_parser_fail_*` queue, of
sheriffed repositories apart from the others, so a backlog of green logs never delays a diagnosis.
The queue workers are separate Procfile lines (Celery does not order queues within one worker).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from apps.jobs.models import Job, JobLog
from apps.live.events import JobChanged

PARSED_LOG_NAMES = ("live_backing_log", "errorsummary_json")
SHERIFFED_REPOSITORIES = frozenset(
    {
        "autoland",
        "mozilla-central",
        "mozilla-beta",
        "mozilla-release",
        "mozilla-esr115",
        "mozilla-esr140",
        "mozilla-esr153",
        "reference-browser",
        "toolchains",
    }
)
NORMAL_QUEUE = "log_parser"
FAILURE_QUEUES = (
    "log_parser_fail_raw_sheriffed",
    "log_parser_fail_json_sheriffed",
    "log_parser_fail_raw_unsheriffed",
    "log_parser_fail_json_unsheriffed",
)


@dataclass(frozen=True)
class ParseRequest:
    job_id: int
    log_ids: tuple[int, ...]
    queue: str


def parse_queue(*, log_name: str, result: str, repository: str) -> str:
    if result == Job.Result.SUCCESS:
        return NORMAL_QUEUE
    kind = "json" if log_name == "errorsummary_json" else "raw"
    return f"log_parser_fail_{kind}_{'sheriffed' if repository in SHERIFFED_REPOSITORIES else 'unsheriffed'}"


def parse_requests_for(events: Iterable[JobChanged]) -> list[ParseRequest]:
    """One request per pending log of each job that has just completed (one SQL query in all).

    An event that did not move the job to completed (a duplicate delivery emits none) asks for
    nothing, so a replayed message never parses a log twice; the parse itself skips parsed logs too.
    """
    completed = {
        event.job_id: event
        for event in events
        if event.state == Job.State.COMPLETED and {"created", "state"} & set(event.changed)
    }
    if not completed:
        return []
    logs = JobLog.objects.filter(
        job_id__in=list(completed), name__in=PARSED_LOG_NAMES, status=JobLog.Status.PENDING
    ).values_list("id", "job_id", "name")
    requests = []
    for log_id, job_id, name in logs.order_by("job_id", "id"):
        event = completed[job_id]
        queue = parse_queue(log_name=name, result=event.result, repository=event.repository)
        requests.append(ParseRequest(job_id=job_id, log_ids=(log_id,), queue=queue))
    return requests
