"""The job view at / in headless Chromium (Debian's, via playwright-core) against a real Daphne:
the details panel, the keyboard and accessibility on factory data; then live, against the whole
pipeline (replay_pulse -> RabbitMQ -> listeners -> Celery -> MariaDB -> relay -> Redis -> Daphne ->
the page), through a TCP proxy that cuts the page's connections and restores them.

Screenshots go to the test's tmp_path and to var/test-output/job-view/ (look at them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command

from apps.jobs.models import Job, JobLog
from apps.live.models import Event
from devtools.replay import PulsePublisher
from tests import factories as f
from tests.support.browser import Browser
from tests.support.processes import ROOT, RunningServer, process_env, run_daphne, run_manage
from tests.support.workers import TcpProxy, celery_worker_args, manage, queue_has_consumer, run_process, wait_for

pytestmark = pytest.mark.slow

SCREENSHOTS = ROOT / "var" / "test-output" / "job-view"
LIVE_SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.live_settings"}
RENDERED = "document.body.dataset.renderedVersion"
# Every job button in the page: id -> its colour key (state, or result once completed).
GRID = (
    "Object.fromEntries([...document.querySelectorAll('[data-job-id]')].map(b => [b.dataset.jobId, b.dataset.status]))"
)
DETAILS = "document.querySelector('.details').innerText"
# Every push's Push Health badge as the page computes it: push id -> [verdict, to investigate].
BADGES = (
    "Object.fromEntries([...document.querySelectorAll('.push')].map(p => { const b = p.querySelector('.health-badge');"
    " return [p.dataset.pushId, [b.dataset.health, Number(b.dataset.needInvestigation)]]; }))"
)


def server_badges(repository: str = "autoland") -> dict[str, list[Any]]:
    """What the server's Push.healthSummary says of every push (apps/failures/health.py), as BADGES."""
    from apps.failures.health import health_summaries
    from apps.pushes.models import Push

    ids = Push.objects.filter(repository__name=repository).values_list("id", flat=True)
    return {str(i): [s.result.upper(), s.need_investigation] for i, s in sorted(health_summaries(ids).items())}


def csp_of(response_headers: dict[str, str]) -> dict[str, str]:
    """A Content-Security-Policy header as {directive: its sources}."""
    directives = (d.strip().partition(" ") for d in response_headers["Content-Security-Policy"].split(";"))
    return {name: sources for name, _, sources in directives}


def collect_static(var_dir: Path) -> None:
    """Static files as production serves them (WhiteNoise reads VAR_DIR/static)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=process_env({"VAR_DIR": str(var_dir)}),
        check=True,
    )


def screenshot(browser: Browser, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    browser.call("screenshot", path=str(path))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENSHOTS / name)
    assert path.stat().st_size > 10_000
    return path


def serious_violations(browser: Browser) -> list[dict[str, Any]]:
    return [v for v in browser.call("axe") if v["impact"] in ("serious", "critical")]


def db_grid() -> dict[str, str]:
    """What the grid must show, in the order the page's GRID serialises (integer keys ascending)."""
    return {
        str(job.id): job.state if job.state != Job.State.COMPLETED else job.result
        for job in Job.objects.filter(repository__name="autoland").order_by("id")
    }


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    call_command("load_reference_data", verbosity=0)
    var_dir = tmp_path / "var"
    collect_static(var_dir)
    with run_daphne(tmp_path, env={"VAR_DIR": str(var_dir)}) as running:
        yield running


def _factory_push() -> dict[str, Job]:
    """One autoland push: a success, an unclassified failure with logs, error and failure lines, a
    classified (noted, bug-linked) failure, an unclassified busted job and a running one."""
    from apps.repositories.models import Repository

    push = f.PushFactory(repository=Repository.objects.get(name="autoland"), author="dev@mozilla.com")
    f.CommitFactory(push=push, comments="Bug 1900000 - Make the job view live r=sheriffs")
    group = f.JobGroupFactory(symbol="M", name="Mochitests")
    ungrouped = f.JobGroupFactory(symbol="?", name="unknown")

    def job(symbol: str, **fields: Any) -> Job:
        fields.setdefault("job_group", ungrouped)
        made: Job = f.JobFactory(push=push, job_type=f.JobTypeFactory(symbol=symbol, name=f"test-{symbol}"), **fields)
        return made

    jobs = {
        "ok": job("b1"),
        "failed": job("1", job_group=group, result=Job.Result.TESTFAILED),
        "classified": job("2", job_group=group, result=Job.Result.TESTFAILED, failure_classification_id=4),
        "busted": job("B", result=Job.Result.BUSTED),
        "running": job("r", state=Job.State.RUNNING, result=Job.Result.UNKNOWN, end_time=None),
    }
    failed = jobs["failed"]
    f.TaskclusterMetadataFactory(job=failed, task_id="AbCdEfGhIjKlMnOpQrStUv", retry_id=0)
    f.JobLogFactory(job=failed, name="live_backing_log", status=JobLog.Status.PARSED)
    summary = f.JobLogFactory(job=failed, name="errorsummary_json", status=JobLog.Status.PENDING)
    error = "TEST-UNEXPECTED-FAIL | dom/base/test/test_live.html | got 1"
    f.TextLogErrorFactory(job=failed, line=error, line_number=42)
    f.FailureLineFactory(job_log=summary, test="dom/base/test/test_live.html", message="got 1, expected 2")
    f.JobNoteFactory(job=jobs["classified"], text="known intermittent")
    bug = f.BugscacheFactory(bugzilla_id=1812345, summary="Intermittent thing")
    f.BugJobMapFactory(job=jobs["classified"], bug=bug)
    return jobs


def test_details_panel_keyboard_and_accessibility(server: RunningServer, tmp_path: Path) -> None:
    jobs = _factory_push()
    failed = jobs["failed"]
    with Browser() as browser:
        assert browser.call("open", url=f"{server.url}/").endswith("/jobs?repo=autoland")  # / is the job view
        browser.wait_for(RENDERED)
        assert browser.eval(GRID) == {
            str(jobs["ok"].id): "success",
            str(failed.id): "testfailed",
            str(jobs["classified"].id): "testfailed",
            str(jobs["busted"].id): "busted",
            str(jobs["running"].id): "running",
        }
        text = browser.eval("document.querySelector('.push').innerText")
        assert "Bug 1900000 - Make the job view live" in text
        assert "dev@mozilla.com" in text
        # Colour is never the only signal: the tooltip names the result.
        title = browser.eval(f"document.querySelector('[data-job-id=\"{failed.id}\"]').title")
        assert title.startswith("Tests failed: test-1")
        assert browser.eval(f"document.querySelector('[data-job-id=\"{jobs['classified'].id}\"]').innerText") == "2*"
        screenshot(browser, tmp_path, "job-view.png")
        assert serious_violations(browser) == []

        browser.call("click", selector=f'[data-job-id="{failed.id}"]')
        panel = browser.wait_for(f"document.querySelector('.details dl') && {DETAILS}")
        assert f"selectedJob={failed.id}" in browser.eval("location.search")  # the URL keeps the selection
        for expected in (
            "Tests failed",
            "test-1",
            "completed",
            "testfailed",
            "M(1) — Mochitests",
            "2026-01-01 12:01:00 UTC",
            "10 min",
            "AbCdEfGhIjKlMnOpQrStUv run 0",
            "live_backing_log parsed",
            "errorsummary_json pending",
            "TEST-UNEXPECTED-FAIL | dom/base/test/test_live.html | got 1",
            "dom/base/test/test_live.html | FAIL (expected PASS) — got 1, expected 2",
            failed.machine.name,
        ):
            assert expected in panel, expected
        task_link = browser.eval("document.querySelector('[data-field=task]').href")
        assert task_link == "https://firefox-ci-tc.services.mozilla.com/tasks/AbCdEfGhIjKlMnOpQrStUv"
        screenshot(browser, tmp_path, "details-panel.png")
        assert serious_violations(browser) == []

        # The classified job: its classification history and bug.
        browser.call("click", selector=f'[data-job-id="{jobs["classified"].id}"]')
        panel = browser.wait_for(f"{DETAILS}.includes('Bug 1812345') && {DETAILS}")
        assert "intermittent — known intermittent" in panel
        assert "Intermittent thing" in panel

        # Keyboard: Esc closes; → walks jobs in page order with focus; n / p walk unclassified
        # failures; u toggles unclassified-only; Tab still leaves the grid (no trap).
        browser.call("press", key="Escape")
        browser.wait_for("!document.querySelector('.details')")
        assert "selectedJob" not in browser.eval("location.search")
        order = browser.eval("[...document.querySelectorAll('[data-job-id]')].map(b => Number(b.dataset.jobId))")
        browser.call("press", key="ArrowRight")
        browser.wait_for(f"document.activeElement.dataset.jobId === '{order[0]}'")
        browser.call("press", key="ArrowRight")
        browser.wait_for(f"document.activeElement.dataset.jobId === '{order[1]}'")
        assert browser.eval("document.activeElement.matches(':focus-visible')")
        unclassified = [j for j in order if j in (failed.id, jobs["busted"].id)]
        browser.call("press", key="ArrowLeft")
        browser.wait_for(f"document.activeElement.dataset.jobId === '{order[0]}'")
        after = [j for j in order[1:] if j in unclassified]
        before = [j for j in order[: order.index(after[0])] if j in unclassified]
        browser.call("press", key="n")
        browser.wait_for(f"document.activeElement.dataset.jobId === '{after[0]}'")
        browser.call("press", key="p")
        browser.wait_for(f"document.activeElement.dataset.jobId === '{before[-1]}'")
        browser.call("press", key="u")
        browser.wait_for("location.search.includes('unclassified=1')")
        assert sorted(int(j) for j in browser.eval(GRID)) == sorted(unclassified)
        browser.call("press", key="u")
        browser.wait_for("!location.search.includes('unclassified=1')")
        for _ in range(3):
            browser.call("press", key="Tab")
        assert browser.eval("document.activeElement !== document.body")

        # l opens the selected job's log: a new tab at the log's URL (another host, so blocked here).
        browser.call("click", selector=f'[data-job-id="{failed.id}"]')
        browser.wait_for(f"{DETAILS}.includes('live_backing_log')")
        browser.call("press", key="l")
        log_url = failed.logs.get(name="live_backing_log").url
        wait_for(lambda: log_url in browser.call("report")["blocked"], timeout=30, what="the log to open")

        browser.call("viewport", width=1920, height=1080)
        screenshot(browser, tmp_path, "details-panel-1920.png")
        report = browser.call("report")
        # The only outside request is the log; the new tab's blocked navigation is sometimes
        # requested a second time by Chromium under load (seen twice in four runs), so by set.
        assert set(report["blocked"]) == {log_url}
        assert report["pageErrors"] == []
        assert report["cspViolations"] == []


def test_the_job_view_runs_under_a_strict_content_security_policy(server: RunningServer) -> None:
    page = requests.get(f"{server.url}/jobs?repo=autoland", timeout=30)
    host = server.url.split("://", 1)[1]
    policy = csp_of(dict(page.headers))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == "'self'"  # the nonce only when a template renders one
    assert policy["connect-src"] == f"'self' ws://{host} wss://{host}"
    assert policy["frame-ancestors"] == policy["base-uri"] == "'none'"
    assert "unsafe" not in page.headers["Content-Security-Policy"]
    # Django's pages get the site's policy (SECURE_CSP): the sign-in form, the admin.
    for path in ("/accounts/login/", "/admin/login/"):
        other = csp_of(dict(requests.get(f"{server.url}{path}", timeout=30).headers))
        assert other["script-src"].startswith("'self'") and other["connect-src"] == "'self'", path


def test_djangos_admin_works_under_the_sites_content_security_policy(server: RunningServer) -> None:
    """The admin's sign-in, index, a change list and a change form (their scripts and styles are
    static files, each tagged with the response's nonce) in Chromium under SECURE_CSP: nothing refused."""
    from tests.support.accounts import PASSWORD, make_user

    jobs = _factory_push()
    admin = make_user("csp-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    with Browser() as browser:
        browser.call("open", url=f"{server.url}/admin/login/?next=/admin/")
        browser.call("fill", selector="#id_username", value="csp-admin")
        browser.call("fill", selector="#id_password", value=PASSWORD)
        assert browser.call("clickToNavigate", selector="input[type=submit]").endswith("/admin/")
        for path in ("/admin/jobs/job/", f"/admin/jobs/job/{jobs['failed'].id}/change/"):
            browser.call("goto", url=f"{server.url}{path}")
            browser.wait_for("document.readyState === 'complete' && document.querySelector('#content')")
            assert browser.eval("document.querySelectorAll('#content, #content-main').length") >= 1, path
        report = browser.call("report")
        assert report["pageErrors"] == []
        assert report["cspViolations"] == []


def test_the_push_health_badge_is_the_servers_summary(server: RunningServer, tmp_path: Path) -> None:
    """The page computes the badge from the jobs it holds (model/health.ts): on pushes made to hit
    every rule, it must say exactly what Push.healthSummary says."""
    from apps.repositories.models import Repository

    autoland = Repository.objects.get(name="autoland")
    lint = f.MachinePlatformFactory(platform="lint")

    def job(push: Any, name: str, result: str, fc: int = 1, **fields: Any) -> Job:
        made: Job = f.JobFactory(
            push=push, job_type=f.JobTypeFactory(name=name, symbol=fields.pop("symbol", name[-3:])), result=result,
            failure_classification_id=fc, **fields,
        )  # fmt: skip
        return made

    mixed, lint_push, running, classified = (f.PushFactory(repository=autoland) for _ in range(4))
    # The rules' push of tests/schema/test_push_health.py.
    job(mixed, "test-linux64/opt-mochitest-1", Job.Result.TESTFAILED, fc=6)
    job(mixed, "test-linux64/opt-mochitest-2", Job.Result.TESTFAILED, fc=8)
    job(mixed, "test-linux64/opt-xpcshell-1", Job.Result.TESTFAILED, fc=2)
    job(mixed, "test-linux64/opt-mochitest-3", Job.Result.SUCCESS)
    job(mixed, "test-linux64/opt-mochitest-4", Job.Result.UNKNOWN, state=Job.State.RUNNING, end_time=None)
    job(mixed, "test-linux64/opt-tier3-1", Job.Result.TESTFAILED, tier=3)
    job(mixed, "build-linux64/opt", Job.Result.BUSTED, fc=4)
    job(mixed, "Build-Win64/debug", Job.Result.SUCCESS)
    job(mixed, "source-test-eslint", Job.Result.SUCCESS, machine_platform=lint)
    # Lint by symbol, classified (still counts); a testfailed build and a busted test (no failures).
    job(lint_push, "source-test-mozlint-py", Job.Result.TESTFAILED, fc=4, symbol="mozlint")
    job(lint_push, "build-android/opt", Job.Result.TESTFAILED)
    job(lint_push, "test-android/opt-junit", Job.Result.BUSTED)
    job(running, "test-mac/opt-1", Job.Result.SUCCESS)
    job(running, "test-mac/opt-2", Job.Result.UNKNOWN, state=Job.State.PENDING, start_time=None, end_time=None)
    job(classified, "test-win/opt-1", Job.Result.TESTFAILED, fc=7)
    expected = server_badges()
    assert expected == {
        str(mixed.id): ["FAIL", 2],
        str(lint_push.id): ["FAIL", 1],
        str(running.id): ["UNKNOWN", 0],
        str(classified.id): ["PASS", 0],
    }
    with Browser() as browser:
        # Filters hide jobs, not their health: the badge counts every job of tiers 1-2.
        browser.call("open", url=f"{server.url}/jobs?repo=autoland&failures=1", width=1920, height=1080)
        browser.wait_for(RENDERED)
        assert browser.eval(BADGES) == expected
        badge = browser.eval(f"document.querySelector('[data-push-id=\"{mixed.id}\"] .health-badge').innerText")
        assert badge == "Health: fail · 2 to investigate"
        screenshot(browser, tmp_path, "push-health-badges.png")
        report = browser.call("report")
        assert report["pageErrors"] == [] and report["cspViolations"] == []


def _replay(seed: int, tasks: int) -> list[str]:
    return manage(
        "replay_pulse", "--synthetic", "--pushes", "1", "--tasks", str(tasks), "--push-interval", "0.2",
        "--step-interval", "0.5", "--seed", str(seed),
    )  # fmt: skip


def _settled() -> bool:
    return (
        Job.objects.exists()
        and not Job.objects.exclude(state=Job.State.COMPLETED).exists()
        and not Event.objects.filter(seq__isnull=True).exists()
    )


def test_live_job_view_follows_ingestion_and_loses_nothing_across_a_cut(
    pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    from devtools.synthetic import TaskPlan

    pulse_url = os.environ["PULSE_URL"]
    PulsePublisher(pulse_url, declare_listener_queues=False).close()
    owner = pipeline_env["PULSE_QUEUE_USER"]
    var_dir = tmp_path / "var"
    collect_static(var_dir)
    live_env = {**pipeline_env, **LIVE_SETTINGS, "VAR_DIR": str(var_dir)}
    seed = int(time.time())
    while not any(TaskPlan(seed + 1, 0, t).outcome == "failed" for t in range(10)):
        seed += 10  # the second push must fail a task
    with (
        run_process(celery_worker_args("ui"), tmp_path, "worker", pipeline_env) as worker,
        run_process(manage("pulse_listener_tasks"), tmp_path, "tasks", pipeline_env) as tasks,
        run_process(manage("pulse_listener_pushes"), tmp_path, "pushes", pipeline_env) as pushes,
        run_manage(tmp_path, "live_relay", env=live_env),
        run_daphne(tmp_path, env=live_env) as daphne,
        Browser() as browser,
    ):
        proxy = TcpProxy(("127.0.0.1", int(daphne.url.rsplit(":", 1)[1])))

        def logs() -> str:
            return "\n".join(p.log() for p in (worker, tasks, pushes)) + daphne.log()

        for name in ("tasks", "resultsets"):
            wait_for(lambda n=name: queue_has_consumer(pulse_url, f"queue/{owner}/{n}"), timeout=60, what=name)

        def replay(seed: int, tasks: int) -> None:
            with run_process(_replay(seed, tasks), tmp_path, "replay", pipeline_env) as run:
                assert run.process.wait(120) == 0, run.log()
            wait_for(_settled, timeout=180, what="ingestion to settle", logs=logs)

        # 1. The page loads the pushes there are.
        replay(seed, 6)
        url = f"http://127.0.0.1:{proxy.port}/jobs?repo=autoland&tier=1,2,3"
        browser.call("open", url=url)
        browser.wait_for(RENDERED)
        browser.wait_for("document.querySelector('[data-connection=live]')")
        assert browser.eval(GRID) == db_grid()
        browser.eval("window.__sameDocument = true")

        # 2. A new push and its tasks appear without a reload; a failed task turns red.
        replay(seed + 1, 10)
        expected = db_grid()
        browser.wait_for(f"JSON.stringify({GRID}) === {_js(expected)}", timeout=60)
        assert browser.eval("window.__sameDocument") is True
        assert browser.eval("document.querySelectorAll('.push').length") == 2
        # The badges, computed in the page from the jobs it holds, say what the server says.
        badges = server_badges()
        browser.wait_for(f"JSON.stringify({BADGES}) === {_js(badges)}", timeout=30)
        failed = [job_id for job_id, status in expected.items() if status in ("testfailed", "busted", "exception")]
        assert failed
        button = f"document.querySelector('[data-job-id=\"{failed[0]}\"]')"
        colour = browser.eval(f"getComputedStyle({button}).backgroundColor")
        assert colour in ("rgb(168, 72, 0)", "rgb(200, 16, 46)", "rgb(122, 63, 178)")  # the failure colours
        browser.wait_for("document.querySelector('[data-count=testfailed],[data-count=busted],[data-count=exception]')")
        screenshot(browser, tmp_path, "job-view-live.png")

        # 3. The page's connection is cut while a third push is ingested, then restored: it says
        # so, resumes from its cursors, and ends with exactly what a fresh load shows.
        proxy.cut()
        browser.wait_for("document.querySelector('[data-connection=reconnecting]')", timeout=60)
        replay(seed + 2, 8)
        proxy.restore()
        browser.wait_for("document.querySelector('[data-connection=resynced], [data-connection=live]')", timeout=60)
        expected = db_grid()
        browser.wait_for(f"JSON.stringify({GRID}) === {_js(expected)}", timeout=60)
        assert browser.eval("window.__sameDocument") is True
        live_counts = browser.eval("[...document.querySelectorAll('.push .counts')].map(c => c.innerText)")
        browser.call("goto", url=url)
        browser.wait_for(RENDERED)
        assert browser.eval(GRID) == expected
        assert browser.eval("[...document.querySelectorAll('.push .counts')].map(c => c.innerText)") == live_counts
        assert browser.eval(BADGES) == server_badges()
        report = browser.call("report")
        assert report["pageErrors"] == []
        assert report["blocked"] == []
        assert report["cspViolations"] == []
        proxy.cut()


def _js(grid: dict[str, Any]) -> str:
    """The grid as the page's GRID expression serialises it (keys in the page's order)."""
    import json

    return json.dumps(json.dumps(grid, separators=(",", ":")))
