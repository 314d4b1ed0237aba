"""Parse a job's logs: the raw log into error lines, the errorsummary into failure lines and groups.

Domain spec §3.1-§3.5. Per log:

* Only logs in status pending or failed are parsed, so running a parse twice (a redelivered task,
  a retry) is safe; the inserts ignore rows that exist (unique job+line_number, job_log+line), and a
  log's group statuses are replaced, not added to.
* The raw log is streamed (gzip inflated on the fly, never held whole) from an allowed host. A
  download over 5 MiB compressed marks it `skipped-size` and parses nothing. A 403/404/410 marks it
  `failed` and is only logged; any other fetch or decode error marks it `failed` and is reported to
  the caller (the task retries it). One log's failure never stops the job's other logs.
* Reading stops once 40 error lines are found: the rest of the log cannot add any.
* Storing error lines publishes the job's `text_log_errors` change (jobFailures: ERRORS_READY) in
  the same transaction, through the one publish path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from apps.core.http import OutboundError, OutboundNotFound, OutboundTooLarge, http_stream
from apps.core.metrics import log_parse_outcome
from apps.failures.models import FailureLine, Group, GroupStatus, TextLogError
from apps.failures.parsing.errorlines import ErrorLine, ErrorLineParser
from apps.failures.parsing.errorsummary import ErrorSummary, parse_error_summary
from apps.failures.parsing.logstream import DecodeError, inflate
from apps.failures.parsing.searchterms import astral_filter
from apps.failures.services.intermittents import intermittents_mark
from apps.failures.services.newfailures import new_failures_mark
from apps.jobs.models import Job, JobLog
from apps.live.events import JobChanged
from apps.live.publish import publish

logger = logging.getLogger(__name__)

# Treeherder's MAX_DOWNLOAD_SIZE_IN_BYTES: the compressed download size beyond which a raw log is
# not parsed (status skipped-size).
MAX_LOG_DOWNLOAD_BYTES = 5 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class LogParseError(Exception):
    """A log could not be parsed for a reason a retry may fix (the first one is re-raised)."""


@dataclass
class ParseOutcome:
    parsed: list[int] = field(default_factory=list)
    skipped_size: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    already_done: list[int] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)
    error_lines: int = 0
    failure_lines: int = 0


def _maybe_inflated(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Inflate a gzip body (told by its magic bytes, whatever the headers say); pass others through."""
    iterator = iter(chunks)
    first = b""
    for chunk in iterator:
        first += chunk
        if len(first) >= 2:
            break

    def rest() -> Iterator[bytes]:
        yield first
        yield from iterator

    yield from inflate(rest(), gzip=first.startswith(GZIP_MAGIC))


def raw_log_error_lines(url: str) -> tuple[list[ErrorLine], int]:
    """The error lines of the raw log at `url` and the compressed bytes read. Raises OutboundError."""
    with http_stream(url, max_bytes=MAX_LOG_DOWNLOAD_BYTES) as stream:
        parser = ErrorLineParser()
        for chunk in _maybe_inflated(stream.chunks()):
            parser.feed(chunk)
            if parser.done:
                break
        return parser.close(), stream.bytes_read


def error_summary_fetch(url: str) -> ErrorSummary:
    with http_stream(url, max_bytes=int(settings.OUTBOUND_MAX_BYTES)) as stream:
        body = b"".join(_maybe_inflated(stream.chunks()))
    return parse_error_summary(body.splitlines())


def _set_status(log: JobLog, status: int) -> None:
    JobLog.objects.filter(id=log.id).update(status=status)
    log.status = status
    log_parse_outcome(JobLog.Status(status).name.lower())  # treeherder_log_parse_total{outcome}


def _store_error_lines(job: Job, log: JobLog, lines: list[ErrorLine]) -> int:
    """Insert the lines (a re-parse adds none twice), count them for NEW detection, publish."""
    with transaction.atomic():
        existing = set(TextLogError.objects.filter(job_id=job.id).values_list("line_number", flat=True))
        TextLogError.objects.bulk_create(
            [TextLogError(job_id=job.id, line_number=e.line_number, line=astral_filter(e.line)) for e in lines],
            ignore_conflicts=True,
        )
        inserted = {e.line_number for e in lines} - existing
        stored = list(TextLogError.objects.filter(job_id=job.id).order_by("line_number"))
        marked_new = new_failures_mark(job, stored, inserted)
        _set_status(log, JobLog.Status.PARSED)
        # One event: jobFailures reads "text_log_errors" as ERRORS_READY; jobChanged subscribers see
        # the NEW classification (6) in it, named "new_failure" (not "failure_classification", which
        # jobFailures would report as a sheriff's CLASSIFIED).
        changed = ("text_log_errors", "new_failure") if marked_new else ("text_log_errors",)
        publish([JobChanged.from_job(job, changed=changed)])
    return len(lines)


_FIELD_LENGTHS = {"status": 19, "expected": 19, "level": 8}


def _fit(fields: dict[str, str]) -> dict[str, str]:
    """The short mozlog fields cut to their columns (a malformed value must not fail the log)."""
    return {k: v[: _FIELD_LENGTHS[k]] if k in _FIELD_LENGTHS else v for k, v in fields.items()}


def _store_error_summary(job: Job, log: JobLog, summary: ErrorSummary) -> int:
    for problem in summary.problems:
        logger.warning("errorsummary %s (job %s): %s", log.url, job.id, problem)
    with transaction.atomic():
        names = sorted({g.name for g in summary.groups})
        Group.objects.bulk_create([Group(name=n) for n in names], ignore_conflicts=True)
        group_ids = dict(Group.objects.filter(name__in=names).values_list("name", "id"))
        GroupStatus.objects.filter(job_log_id=log.id).delete()
        GroupStatus.objects.bulk_create(
            [
                GroupStatus(job_log_id=log.id, group_id=group_ids[g.name], status=g.status, duration=g.duration)
                for g in summary.groups
            ]
        )
        FailureLine.objects.bulk_create(
            [
                FailureLine(
                    job_guid=job.guid,
                    repository_id=job.repository_id,
                    job_log_id=log.id,
                    action=line.action,
                    line=line.line,
                    known_intermittent=line.known_intermittent,
                    **_fit(line.fields),
                )
                for line in summary.failure_lines
            ],
            ignore_conflicts=True,
        )
        _set_status(log, JobLog.Status.PARSED)
        intermittents_mark(job)
    return len(summary.failure_lines)


def job_logs_parse(*, job_id: int, log_ids: Iterable[int] | None = None) -> ParseOutcome:
    """Parse the pending (or failed) raw and errorsummary logs of a job. Never raises for one log."""
    outcome = ParseOutcome()
    jobs = Job.objects.select_related("repository", "push", "machine_platform", "job_type", "job_group")
    job = jobs.filter(id=job_id).first()
    if job is None:
        logger.warning("log parse: job %s does not exist (expired?)", job_id)
        return outcome
    logs = JobLog.objects.filter(job_id=job_id, name__in=("live_backing_log", "errorsummary_json"))
    if log_ids is not None:
        logs = logs.filter(id__in=list(log_ids))
    for log in logs.order_by("id"):
        if log.status not in (JobLog.Status.PENDING, JobLog.Status.FAILED):
            outcome.already_done.append(log.id)
            continue
        try:
            if log.name == "live_backing_log":
                lines, _size = raw_log_error_lines(log.url)
                outcome.error_lines += _store_error_lines(job, log, lines)
            else:
                outcome.failure_lines += _store_error_summary(job, log, error_summary_fetch(log.url))
            outcome.parsed.append(log.id)
        except OutboundTooLarge as exc:
            logger.warning("log %s of job %s skipped: %s", log.id, job_id, exc)
            _set_status(log, JobLog.Status.SKIPPED_SIZE)
            outcome.skipped_size.append(log.id)
        except OutboundNotFound as exc:
            logger.warning("log %s of job %s not found: %s", log.id, job_id, exc)
            _set_status(log, JobLog.Status.FAILED)
            outcome.not_found.append(log.id)
        except (OutboundError, DecodeError) as exc:
            logger.warning("log %s of job %s failed: %s", log.id, job_id, exc)
            _set_status(log, JobLog.Status.FAILED)
            outcome.failed.append(log.id)
            if getattr(exc, "retryable", False):  # a host off the allow-list, a 4xx, bad gzip: final
                outcome.errors.append(exc)
        except Exception as exc:  # one log's bug must not stop the others; reported to the caller
            logger.exception("log %s of job %s: unexpected error", log.id, job_id)
            _set_status(log, JobLog.Status.FAILED)
            outcome.failed.append(log.id)
            outcome.errors.append(exc)
    return outcome
