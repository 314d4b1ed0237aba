"""Parsing a job's logs over real HTTP (the local sample server), into MariaDB."""

from __future__ import annotations

import gzip
import os
from typing import Any

import pytest

from apps.failures.models import FailureLine, GroupStatus, TextLogError
from apps.failures.services.logs import MAX_LOG_DOWNLOAD_BYTES, job_logs_parse
from apps.jobs.models import Job, JobLog
from apps.live.models import Event
from devtools.samples import sample_log_bytes
from tests.factories.jobs import JobFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

GZ = {"Content-Type": "text/plain", "Content-Encoding": "gzip"}


def _job_with_logs(server: Any, **paths: str) -> tuple[Job, dict[str, JobLog]]:
    job = JobFactory(result=Job.Result.TESTFAILED)
    logs = {name: JobLog.objects.create(job=job, name=name, url=f"{server.url}{path}") for name, path in paths.items()}
    return job, logs


def _status(log: JobLog) -> int:
    return JobLog.objects.get(id=log.id).status


def test_parse_stores_error_lines_failure_lines_groups_and_publishes(
    ingest_settings: Any, sample_services: Any
) -> None:
    sample_services.files["/t1/live_backing.log"] = (200, GZ, sample_log_bytes("mochitest-fail.log.gz"))
    summary = sample_log_bytes("mochitest-browser-chrome_errorsummary.log")
    sample_services.files["/t1/summary_errorsummary.log"] = (200, {"Content-Type": "text/plain"}, summary)
    job, logs = _job_with_logs(
        sample_services, live_backing_log="/t1/live_backing.log", errorsummary_json="/t1/summary_errorsummary.log"
    )
    before = Event.objects.count()

    outcome = job_logs_parse(job_id=job.id)

    assert sorted(outcome.parsed) == sorted(log.id for log in logs.values()) and outcome.errors == []
    errors = list(TextLogError.objects.filter(job=job).values_list("line_number", "line"))
    assert len(errors) == 1 and errors[0][0] == 9093 and "browser_console_enable_network_monitoring.js" in errors[0][1]
    assert FailureLine.objects.filter(job_guid=job.guid).count() == 5
    assert GroupStatus.objects.filter(job_log=logs["errorsummary_json"]).count() == 29
    assert {_status(log) for log in logs.values()} == {JobLog.Status.PARSED}
    events = list(Event.objects.order_by("id")[before:])
    # The line was never seen before: the failed job is NEW (classification 6) in the same event.
    assert [e.payload["changed"] for e in events] == [["text_log_errors", "new_failure"]]
    assert events[0].payload["failure_classification_id"] == 6
    assert events[0].job_id == job.id

    # Parsed logs are skipped; a log set back to pending is parsed again without duplicating a row.
    assert job_logs_parse(job_id=job.id).already_done == sorted(log.id for log in logs.values())
    JobLog.objects.filter(job=job).update(status=JobLog.Status.PENDING)
    again = job_logs_parse(job_id=job.id)
    assert len(again.parsed) == 2
    assert TextLogError.objects.filter(job=job).count() == 1
    assert FailureLine.objects.filter(job_guid=job.guid).count() == 5
    assert GroupStatus.objects.filter(job_log=logs["errorsummary_json"]).count() == 29


def test_size_cap_404_and_one_failure_does_not_stop_the_others(ingest_settings: Any, sample_services: Any) -> None:
    big = os.urandom(MAX_LOG_DOWNLOAD_BYTES + 1)  # incompressible: the gzip is over the cap
    sample_services.files["/t2/big.log"] = (200, GZ, gzip.compress(big, compresslevel=1))
    sample_services.files["/t2/ok_errorsummary.log"] = (
        200,
        {},
        sample_log_bytes("mochitest-browser-chrome_cf1_errorsummary.log"),
    )
    summary = "/t2/ok_errorsummary.log"
    job, logs = _job_with_logs(sample_services, live_backing_log="/t2/big.log", errorsummary_json=summary)
    outcome = job_logs_parse(job_id=job.id)
    assert outcome.skipped_size == [logs["live_backing_log"].id]
    assert outcome.parsed == [logs["errorsummary_json"].id]
    assert _status(logs["live_backing_log"]) == JobLog.Status.SKIPPED_SIZE
    assert not TextLogError.objects.filter(job=job).exists()

    job2, logs2 = _job_with_logs(sample_services, live_backing_log="/t2/missing.log", errorsummary_json=summary)
    outcome2 = job_logs_parse(job_id=job2.id)
    assert outcome2.not_found == [logs2["live_backing_log"].id] and outcome2.errors == []  # 404: no retry
    assert _status(logs2["live_backing_log"]) == JobLog.Status.FAILED
    assert _status(logs2["errorsummary_json"]) == JobLog.Status.PARSED


def test_hosts_off_the_allow_list_are_never_fetched(ingest_settings: Any, sample_services: Any) -> None:
    # 127.0.0.2 is not allowed (only the sample server's 127.0.0.1:<port> is).
    port = sample_services.server_address[1]
    sample_services.files["/t3/redirect.log"] = (303, {"Location": f"http://127.0.0.2:{port}/t3/real.log"}, b"")
    sample_services.files["/t3/real.log"] = (200, GZ, sample_log_bytes("mochitest-fail.log.gz"))
    sample_services.files["/t3/allowed_redirect.log"] = (302, {"Location": "/t3/real.log"}, b"")
    job = JobFactory(result=Job.Result.TESTFAILED)
    direct = JobLog.objects.create(job=job, name="live_backing_log", url=f"http://127.0.0.2:{port}/t3/real.log")
    redirected = JobLog.objects.create(job=job, name="live_backing_log", url=f"{sample_services.url}/t3/redirect.log")
    requests_before = sample_services.requests
    outcome = job_logs_parse(job_id=job.id)
    assert sorted(outcome.failed) == sorted([direct.id, redirected.id]) and outcome.errors == []
    assert sample_services.requests == requests_before + 1  # only the redirect itself was requested
    assert not TextLogError.objects.filter(job=job).exists()

    job2 = JobFactory(result=Job.Result.TESTFAILED)
    ok = JobLog.objects.create(job=job2, name="live_backing_log", url=f"{sample_services.url}/t3/allowed_redirect.log")
    assert job_logs_parse(job_id=job2.id).parsed == [ok.id]
    assert TextLogError.objects.filter(job=job2).count() == 1


def test_a_chunked_body_over_the_cap_is_cut_off_while_streaming(ingest_settings: Any, monkeypatch: Any) -> None:
    """No Content-Length to refuse up front: the cap is counted on the compressed bytes as they come."""
    import socket
    import threading

    import apps.core.http as http

    body = gzip.compress(os.urandom(300_000), compresslevel=1)  # ~300 KB of incompressible gzip
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    sent: list[int] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
            try:
                for i in range(0, len(body), 16384):
                    part = body[i : i + 16384]
                    conn.sendall(b"%x\r\n%s\r\n" % (len(part), part))
                    sent.append(len(part))
                conn.sendall(b"0\r\n\r\n")
            except OSError:
                pass  # the client hung up at the cap

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ingest_settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{port}"]
    http.reset_pool()
    monkeypatch.setattr("apps.failures.services.logs.MAX_LOG_DOWNLOAD_BYTES", 100_000)
    job = JobFactory(result=Job.Result.TESTFAILED)
    log = JobLog.objects.create(job=job, name="live_backing_log", url=f"http://127.0.0.1:{port}/chunked.log")
    outcome = job_logs_parse(job_id=job.id)
    thread.join(10)
    server.close()
    assert outcome.skipped_size == [log.id]
    assert _status(log) == JobLog.Status.SKIPPED_SIZE
    assert not TextLogError.objects.filter(job=job).exists()
