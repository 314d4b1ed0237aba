"""GraphiQL (5, on Monaco) at /graphql in headless Chromium: served from our own static files under
its Content-Security-Policy, nothing from outside; operations typed into its editor run for real.

Screenshots go to the test's tmp_path and to var/test-output/graphiql/ (look at them)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command

from tests import factories as f
from tests.support.accounts import PASSWORD, make_user
from tests.support.live import publish_jobs, settled_cursor_before
from tests.support.processes import ROOT, RunningServer, process_env, run_daphne, run_manage

pytestmark = pytest.mark.slow

BROWSER_DIR = Path(__file__).resolve().parent
SCREENSHOTS = ROOT / "var" / "test-output" / "graphiql"


@pytest.fixture
def server(transactional_db: None, tmp_path: Path) -> Iterator[RunningServer]:
    call_command("load_reference_data", verbosity=0)
    var_dir = tmp_path / "var"
    # Production serves static files collected into VAR_DIR/static by WhiteNoise; so does this test.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=process_env({"VAR_DIR": str(var_dir)}),
        check=True,
    )
    with run_daphne(tmp_path, env={"VAR_DIR": str(var_dir)}) as running:
        yield running


def test_graphiql_page_loads_only_local_assets(server: RunningServer) -> None:
    page = requests.get(f"{server.url}/graphql", headers={"Accept": "text/html"}, timeout=30)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    policy = dict(d.strip().split(" ", 1) for d in page.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["worker-src"] == policy["connect-src"] == "'self'"
    assert "<title>Treeherder GraphQL</title>" in page.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)
    assets = re.findall(r"""(?:src|href)="(/static/graphiql/assets/[^"]+)\"""", page.text)
    assert len(assets) == 2  # the script and the stylesheet
    for asset in assets:
        response = requests.get(f"{server.url}{asset}", timeout=30)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000
        assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable", asset


def _run_in_graphiql(
    server: RunningServer,
    operation: str,
    screenshot: Path | None = None,
    *,
    mode: str = "type",
    sign_in: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Open GraphiQL in Chromium (after signing in, if asked), enter `operation` (typed into the
    editor, or opened from a /graphql#query= link), run it, and return graphiql.mjs's report."""
    done = subprocess.run(
        [
            "node",
            str(BROWSER_DIR / "graphiql.mjs"),
            server.url,
            mode,
            operation,
            str(screenshot or ""),
            *(sign_in or ()),
        ],
        cwd=BROWSER_DIR,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr + server.log()
    report: dict[str, Any] = json.loads(done.stdout)
    if screenshot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, SCREENSHOTS / screenshot.name)
        assert screenshot.stat().st_size > 10_000
    return report


def _assert_clean(report: dict[str, Any], server: RunningServer) -> None:
    """Nothing from outside, no page error, nothing the CSP refused, Monaco's workers from our assets."""
    assert report["blocked"] == []
    assert report["pageErrors"] == []
    assert report["cspViolations"] == []
    assert report["consoleErrors"] == []
    assert report["csp"].startswith("default-src 'none'")
    assert report["workers"], "Monaco started no web worker"
    assert all(w.startswith(f"{server.url}/static/graphiql/assets/") for w in report["workers"]), report["workers"]
    assert any("graphql.worker" in w for w in report["workers"]), report["workers"]


def test_graphiql_runs_a_typed_query_in_chromium_with_no_outside_request(server: RunningServer, tmp_path: Path) -> None:
    query = '{ repository(name: "autoland") { name databaseId repositoryGroup { name } } }'
    report = _run_in_graphiql(server, query, tmp_path / "graphiql-query.png")

    _assert_clean(report, server)
    assert report["title"] == "Treeherder GraphQL"
    assert report["initialEditor"].startswith("# The latest pushes of a repository")
    # Typed key by key: Monaco's auto-closed brackets and quotes were typed over, not doubled.
    assert report["editor"] == query
    # The GraphQL worker completes from the introspected schema.
    assert {"repository", "repositories"} <= set(report["completions"])
    assert report["requests"] > 2  # the page, its script and stylesheet, then the query itself
    assert json.loads(report["result"])["data"] == {
        "repository": {"name": "autoland", "databaseId": 77, "repositoryGroup": {"name": "development"}}
    }


def test_graphiql_runs_a_typed_subscription_over_the_websocket(server: RunningServer, tmp_path: Path) -> None:
    """GraphiQL subscribes over graphql-transport-ws on the same path; with a cursor from before the
    event, the event is replayed to it and shown."""
    job = f.JobFactory()
    after = settled_cursor_before(lambda: publish_jobs([job]))
    subscription = (
        f'subscription {{ jobChanged(repository: "{job.repository.name}", after: "{after}") '
        "{ cursor job { guid } } }"
    )
    with run_manage(tmp_path, "live_relay"):
        report = _run_in_graphiql(server, subscription, tmp_path / "graphiql-subscription.png")

    _assert_clean(report, server)
    assert report["editor"] == subscription
    assert json.loads(report["result"])["data"]["jobChanged"]["job"] == {"guid": job.guid}


def test_a_signed_in_sheriff_classifies_from_graphiql(server: RunningServer) -> None:
    make_user("browser-sheriff", sheriff=True)
    job = f.JobFactory(result="testfailed")
    query = (
        f"mutation {{ classifyJobs(input: {{jobIds: [{job.id}], classificationId: 4}}) "
        "{ __typename ... on JobsClassified { notes { who } } } }"
    )

    report = _run_in_graphiql(server, query, mode="link", sign_in=("browser-sheriff", PASSWORD))

    assert report["pageErrors"] == []
    assert report["editor"] == query  # opened from the /graphql#query= link
    # The session cookie alone would be refused (CSRF_FAILED): GraphiQL sent the CSRF token.
    assert json.loads(report["result"])["data"] == {
        "classifyJobs": {"__typename": "JobsClassified", "notes": [{"who": "browser-sheriff@example.com"}]}
    }
    job.refresh_from_db()
    assert job.failure_classification_id == 4
