"""Sheriffing in the job view, in headless Chromium against a real Daphne and relay on the test
database: signed out, the details panel offers a sign-in link that comes back to the same view;
signed in (Django's login form, then the session cookie and the X-CSRFToken header), a sheriff
picks a bug suggestion, classifies the failed job and links another bug from the details panel,
sees the union errors in words, and Push Health follows it all live (the badge from pushChanged,
the panel from pushHealthChanged). Checked in the database and in the page.

Screenshots go to the test's tmp_path and to var/test-output/job-view/ (look at them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from apps.classification.models import BugJobMap, JobNote
from apps.failures.models import Bugscache
from apps.failures.services.bugs import bugscache_index_refresh
from apps.jobs.models import Job
from tests import factories as f
from tests.browser.test_job_view import DETAILS, RENDERED, _factory_push, collect_static, screenshot, serious_violations
from tests.support.accounts import PASSWORD, Caller, make_user
from tests.support.browser import Browser
from tests.support.processes import RunningServer, run_daphne, run_manage

pytestmark = pytest.mark.slow

SETTINGS = {"DJANGO_SETTINGS_MODULE": "tests.support.sheriffing_settings"}
STATUS = "document.querySelector('[data-testid=classify-status]').innerText"
ALERT = "document.querySelector('[data-testid=classify-error]').innerText"
HEALTH = "document.querySelector('[data-testid=push-health]')"
LINK_BUG = """mutation ($job: Int!, $bug: Int!) {
  linkBug(jobId: $job, bug: {bugzillaId: $bug}) { __typename ... on BugLinked { created } }
}"""


@pytest.fixture
def stack(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    """A relay (so mutations' events reach the page) and a Daphne serving the built job view."""
    call_command("load_reference_data", verbosity=0)
    var_dir = tmp_path / "var"
    collect_static(var_dir)
    env = {**SETTINGS, "VAR_DIR": str(var_dir)}
    with run_manage(tmp_path, "live_relay", env=env), run_daphne(tmp_path, env=env) as daphne:
        yield daphne


def _button(job: Job) -> str:
    return f"document.querySelector('[data-job-id=\"{job.id}\"]')"


def test_a_signed_in_sheriff_classifies_and_links_bugs_from_the_details_panel(
    stack: RunningServer, tmp_path: Path
) -> None:
    jobs = _factory_push()
    failed = jobs["failed"]
    suggested = f.BugscacheFactory(bugzilla_id=1900123, summary="Intermittent dom/base/test/test_live.html | got 1")
    bugscache_index_refresh([suggested.id])
    make_user("ui-sheriff", sheriff=True)
    view = f"/jobs?repo=autoland&selectedJob={failed.id}"

    with Browser() as browser:
        # Signed out: the suggestion is there, no form, a sign-in link back to this very view.
        browser.call("open", url=f"{stack.url}{view}")
        browser.wait_for(RENDERED)
        href = browser.wait_for("document.querySelector('[data-testid=sign-in]')?.getAttribute('href')")
        assert urlsplit(href).path == "/accounts/login/"
        assert parse_qs(urlsplit(href).query)["next"] == [view]
        panel = browser.wait_for(f"{DETAILS}.includes('Bug 1900123') && {DETAILS}")
        assert "Sign in to classify" in panel
        assert browser.eval("document.querySelectorAll('form.classify, .pick').length") == 0
        screenshot(browser, tmp_path, "details-signed-out.png")
        assert serious_violations(browser) == []

        # Django's login form, then back to the same job.
        browser.call("clickToNavigate", selector="[data-testid=sign-in]")
        browser.call("fill", selector="#id_username", value="ui-sheriff")
        browser.call("fill", selector="#id_password", value=PASSWORD)
        landed = browser.call("clickToNavigate", selector="button[type=submit]")
        assert landed.endswith(view), landed
        browser.wait_for(RENDERED)
        browser.wait_for("document.querySelector('[data-connection=live]')")
        form = browser.wait_for("document.querySelector('form.classify')?.innerText")
        assert "Signed in as ui-sheriff@example.com (sheriff)" in form
        browser.eval("window.__sameDocument = true")

        # Push Health of the push, before: one test failure to investigate.
        browser.call("click", selector=".push-head .health-badge:not(.static)")
        browser.wait_for(f"{HEALTH}?.querySelector('[data-health]')")
        assert browser.eval(f"{HEALTH}.querySelector('[data-health]').dataset.health") == "FAIL"
        health = browser.eval(f"{HEALTH}.innerText")
        assert "Need investigation (1)" in health and "Known intermittent (1)" in health
        assert "pushHealth=" in browser.eval("location.search")  # the URL keeps it open
        assert browser.eval("document.querySelector('.push-head .health-badge').innerText") == (
            "Health: fail · 1 to investigate"
        )

        # A suggestion fills the bug field; the comment typed and the form sent with the keyboard.
        browser.call("click", selector='.pick[aria-label="Use bug 1900123 in the classify form"]')
        # The form fills the field in an effect after the click's render: wait for it, not one read.
        assert browser.wait_for("document.querySelector('form.classify [name=bug]').value") == "1900123"
        browser.call("focus", selector="form.classify textarea")
        browser.call("type", text="flaky, see the bug")
        browser.call("press", key="Tab")
        assert browser.eval("document.activeElement.textContent") == "Classify"
        browser.call("press", key="Enter")
        assert browser.wait_for(f"{STATUS}.startsWith('Classified') && {STATUS}") == (
            "Classified as intermittent, bug 1900123 linked."
        )

        # In the database: the note by this user, the link, the derived classification.
        note = JobNote.objects.select_related("user").get(job=failed)
        assert (note.failure_classification_id, note.text) == (4, "flaky, see the bug")
        assert note.user.username == "ui-sheriff"
        assert list(BugJobMap.objects.filter(job=failed).values_list("bug__bugzilla_id", flat=True)) == [1900123]
        failed.refresh_from_db()
        assert failed.failure_classification_id == 4

        # In the page: the panel at once, the grid and Push Health live (no reload).
        panel = browser.wait_for(f"{DETAILS}.includes('ui-sheriff@example.com: intermittent') && {DETAILS}")
        assert "flaky, see the bug" in panel and "Bug 1900123" in panel
        browser.wait_for(f"{_button(failed)}.innerText === '1*'")  # classified: outlined and starred
        browser.wait_for(f"{HEALTH}.querySelector('[data-health]').dataset.health === 'UNKNOWN'")  # a job still runs
        assert int(browser.eval(f"{HEALTH}.dataset.updates")) >= 1
        health = browser.eval(f"{HEALTH}.innerText")
        assert "Known intermittent (2)" in health and "Need investigation" not in health
        browser.wait_for("document.querySelector('.push-head .health-badge').innerText === 'Health: in progress'")
        screenshot(browser, tmp_path, "details-classified.png")
        assert serious_violations(browser) == []

        # A union error in words: InvalidInput for bug 0, the field marked invalid.
        browser.call("fill", selector="form.classify [name=bug]", value="0")
        browser.call("click", selector="form.classify .actions button[type=button]")
        assert browser.wait_for(ALERT) == "bugzillaId must be positive."
        assert browser.eval("document.querySelector('form.classify [name=bug]').getAttribute('aria-invalid')") == "true"

        # Link bug only: an unknown Bugzilla bug gets a stub for the bugscache refresh.
        browser.call("fill", selector="form.classify [name=bug]", value="1955555")
        browser.call("click", selector="form.classify .actions button[type=button]")
        assert browser.wait_for(f"{STATUS}.startsWith('Bug') && {STATUS}") == "Bug 1955555 linked."
        assert browser.eval(ALERT) == ""
        assert Bugscache.objects.get(bugzilla_id=1955555).processed_update is False
        assert sorted(BugJobMap.objects.filter(job=failed).values_list("bug__bugzilla_id", flat=True)) == [
            1900123,
            1955555,
        ]
        browser.wait_for(f"{DETAILS}.includes('Bug 1955555')")

        # Someone else links a bug (their own session, over HTTP): the open panel shows it through
        # the jobChanged event, without a reload.
        other = Caller(stack.url).sign_in("ui-sheriff")
        answer = other.post(LINK_BUG, {"job": failed.id, "bug": 1977777})
        assert answer["data"]["linkBug"] == {"__typename": "BugLinked", "created": True}
        browser.wait_for(f"{DETAILS}.includes('Bug 1977777')")
        assert browser.eval("window.__sameDocument") is True

        browser.call("viewport", width=1920, height=1080)
        screenshot(browser, tmp_path, "details-classified-1920.png")
        report = browser.call("report")
        assert report["pageErrors"] == []
        assert report["blocked"] == []
        assert report["cspViolations"] == []  # the job view's and Django's sign-in page's policies
