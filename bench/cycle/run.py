"""Benchmark: cycle_data's deletion rate, the figure that says how long the daily run takes.

Fills a database of its own (`<DATABASE_URL name>_bench_cycle`) with 20 pushes x 1,000 jobs on
autoland, each job with its Taskcluster metadata, a log, an error line and a bug link, all older
than the retention; then runs cycle_data over them (chunks of 100 and of 500, no pause) and prints
jobs deleted per second and rows per second over every table the deletes reached. The data is
generated again before each run (deleting is the thing measured).
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PUSHES = 20
JOBS_PER_PUSH = 1000
REPOSITORY = "autoland"

url = urlparse(os.environ["DATABASE_URL"])
os.environ["DATABASE_URL"] = urlunparse(url._replace(path=url.path.rstrip("/") + "_bench_cycle"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DEBUG"] = "false"

import django  # noqa: E402


def prepare() -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from apps.classification.models import BugJobMap
    from apps.failures.models import Bugscache, TextLogError
    from apps.jobs.models import Job, JobLog
    from apps.pushes.models import Push
    from apps.repositories.models import Repository
    from bench.query.data import generate

    call_command("migrate", verbosity=0)
    call_command("load_reference_data", verbosity=0)
    repo = Repository.objects.get(name=REPOSITORY)
    Push.objects.filter(repository=repo).delete()
    generate(repository=repo, pushes=PUSHES, jobs_per_push=JOBS_PER_PUSH)
    ids = list(Job.objects.filter(repository=repo).values_list("id", flat=True))
    JobLog.objects.bulk_create(
        [JobLog(job_id=i, name="live_backing_log", url=f"https://example.org/{i}.log") for i in ids], batch_size=2000
    )
    TextLogError.objects.bulk_create(
        [TextLogError(job_id=i, line="TEST-UNEXPECTED-FAIL | x | y", line_number=1) for i in ids], batch_size=2000
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-sheriff")
    now = datetime.datetime.now(tz=datetime.UTC)
    bug, _ = Bugscache.objects.get_or_create(bugzilla_id=1, defaults={"status": "NEW", "summary": "b", "modified": now})
    BugJobMap.objects.bulk_create([BugJobMap(job_id=i, bug=bug, user=user) for i in ids], batch_size=2000)
    return len(ids)


def main() -> None:
    from bench.query.run import ensure_database

    ensure_database()
    django.setup()
    from apps.jobs.services.cycling import cycle_jobs

    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for chunk in (100, 500):
        jobs = prepare()
        started = time.perf_counter()
        result = cycle_jobs(
            now=datetime.datetime.now(tz=datetime.UTC), repositories=[REPOSITORY], chunk_size=chunk, sleep=0,
            report=lambda line: None,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        rows = sum(result.rows_deleted.values())
        print(
            f"chunk {chunk}: {result.jobs_deleted} of {jobs} jobs ({rows} rows in {len(result.rows_deleted)} tables) "
            f"in {seconds:.1f} s: {result.jobs_deleted / seconds:,.0f} jobs/s, {rows / seconds:,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
