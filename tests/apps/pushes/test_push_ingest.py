"""Golden pushes over real HTTP (hg json-pushes, GitHub compare and PR commits from the sample
server), Treeherder's branch rules, idempotence and the outbound allow-list."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from apps.core.metrics import Counters
from apps.live.models import Event
from apps.pushes.models import Commit, Push
from apps.pushes.services import PushData, pulse_push_ingest, push_store
from apps.pushes.services.loaders import github_pull_request_load, github_push_load, hg_push_load
from apps.pushes.services.store import CommitData
from apps.repositories.models import Repository, RepositoryBranch
from tests.support.samples import sample

pytestmark = pytest.mark.django_db

HG = "exchange/hgpushes/v1"
GH_PUSH = "exchange/taskcluster-github/v1/push"
GH_PR = "exchange/taskcluster-github/v1/pull-request"


def _hg_message(settings: Any) -> dict[str, Any]:
    message = sample("hg_push")
    push = message["payload"]["pushlog_pushes"][0]
    push["push_full_json_url"] = push["push_full_json_url"].replace("https://hg.mozilla.org", settings.HG_URL)
    return message


def _stored(push: Push) -> dict[str, Any]:
    return {
        "revision": push.revision,
        "author": push.author,
        "push_timestamp": int(push.time.timestamp()),
        "revisions": [
            {"revision": c.revision, "author": c.author, "comment": c.comments}
            for c in Commit.objects.filter(push=push).order_by("id")
        ],
    }


def test_hg_push_matches_treeherder(ingest_settings: Any, golden_repositories: None) -> None:
    repository, data = hg_push_load(_hg_message(ingest_settings))
    assert repository.name == "try"
    assert data.as_treeherder_dict() == sample("transformed_hg_push")

    result = pulse_push_ingest(body=_hg_message(ingest_settings), exchange=HG)

    assert result is not None and result.changed == ("created",)
    assert _stored(result.push) == sample("transformed_hg_push")


def test_github_push_matches_treeherder(ingest_settings: Any, golden_repositories: None) -> None:
    body = sample("github_push")[0]["payload"]
    repository, data = github_push_load(body)
    assert repository.name == "android-components"
    assert data.as_treeherder_dict() == sample("transformed_gh_push")

    result = pulse_push_ingest(body=body, exchange=GH_PUSH)

    assert result is not None
    assert _stored(result.push) == sample("transformed_gh_push")
    assert result.push.branch == ""  # an exact branch rule matched


def test_github_pull_request_matches_treeherder(ingest_settings: Any, golden_repositories: None) -> None:
    repository, data = github_pull_request_load(sample("github_pr"))
    assert repository.name == "test_treeherder"
    assert data.as_treeherder_dict() == sample("transformed_gh_pr")

    result = pulse_push_ingest(body=sample("github_pr"), exchange=GH_PR)

    assert result is not None and _stored(result.push) == sample("transformed_gh_pr")


def test_github_new_branch_uses_the_webhook_commits(ingest_settings: Any, golden_repositories: None) -> None:
    body = sample("github_push")[0]["payload"]
    body["details"]["event.base.sha"] = "0" * 40

    _, data = github_push_load(body)

    assert [c.revision for c in data.commits] == [c["id"] for c in body["body"]["commits"]]
    assert data.revision == body["body"]["commits"][-1]["id"]
    assert data.author == "26634292+bors[bot]@users.noreply.github.com"


def test_servo_try_branch_rule(ingest_settings: Any, golden_repositories: None) -> None:
    result = pulse_push_ingest(body=sample("github_push")[1]["payload"], exchange=GH_PUSH)

    assert result is not None
    assert result.push.repository.name == "servo-try"
    assert result.push.revision == "ad9bfc2a62b70b9f3dbb1c3a5969f30bacce3d74"
    assert Commit.objects.filter(push=result.push).count() == 2


@pytest.mark.parametrize(
    ("rules", "branch", "expected", "stored_branch"),
    [
        ({"android-components": ["*"]}, "my-feature", "android-components", "my-feature"),
        ({"android-components": ["releases/*"]}, "releases/v1.2", "android-components", "releases/v1.2"),
        ({"android-components": ["releases/*"]}, "master", None, None),
        ({"android-components": ["master"], "fenix": ["*"]}, "master", "android-components", ""),
        ({"android-components": ["releases/*"], "fenix": ["*"]}, "releases/v1", None, None),
    ],
)
def test_github_branch_rules(
    ingest_settings: Any,
    golden_repositories: None,
    rules: dict[str, list[str]],
    branch: str,
    expected: str | None,
    stored_branch: str | None,
) -> None:
    url = "https://github.com/mozilla-mobile/android-components"
    RepositoryBranch.objects.filter(repository__url=url).delete()
    Repository.objects.filter(name="fenix").update(url=url, active_status="active")
    for name, branches in rules.items():
        for rule in branches:
            RepositoryBranch.objects.create(repository=Repository.objects.get(name=name), branch=rule)
    body = sample("github_push")[0]["payload"]
    body["details"]["event.base.repo.branch"] = branch
    counters = Counters()

    result = pulse_push_ingest(body=body, exchange=GH_PUSH, counters=counters)

    if expected is None:
        assert result is None and Push.objects.count() == 0
        assert sum(v for k, v in counters.values.items() if k.startswith("pulse_push_rejected")) == 1
    else:
        assert result is not None
        assert (result.push.repository.name, result.push.branch) == (expected, stored_branch)


def test_same_push_twice_is_one_row_and_one_event(ingest_settings: Any, golden_repositories: None) -> None:
    first = pulse_push_ingest(body=_hg_message(ingest_settings), exchange=HG)
    second = pulse_push_ingest(body=_hg_message(ingest_settings), exchange=HG)

    assert first is not None and second is not None
    assert second.changed == ()
    assert Push.objects.count() == 1 and Commit.objects.count() == 2
    assert list(Event.objects.values_list("type", "payload__changed")) == [("push.changed", ["created"])]


def test_a_changed_push_is_updated_with_an_event(golden_repositories: None) -> None:
    repository = Repository.objects.get(name="autoland")
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    commits = tuple(CommitData(revision=f"{i:040x}", author="A <a@b.c>", comments=f"c{i}") for i in range(250))
    push_store(repository=repository, data=PushData(revision=f"{249:040x}", author="a@b.c", time=when, commits=commits))
    assert Commit.objects.count() == 200  # the last 200 only
    assert Commit.objects.order_by("id").first().revision == f"{50:040x}"  # type: ignore[union-attr]

    result = push_store(
        repository=repository,
        data=PushData(revision=f"{249:040x}", author="b@b.c", time=when, commits=commits[-200:]),
    )

    assert result.changed == ("author",)
    assert Event.objects.filter(type="push.changed").count() == 2


def test_unknown_repository_and_bad_messages_are_rejected_and_counted(
    ingest_settings: Any, golden_repositories: None
) -> None:
    counters = Counters()
    unknown = _hg_message(ingest_settings)
    unknown["payload"]["repo_url"] = "https://hg.mozilla.org/nowhere"

    assert pulse_push_ingest(body=unknown, exchange=HG, counters=counters) is None
    assert pulse_push_ingest(body={"payload": {}}, exchange=HG, counters=counters) is None
    assert pulse_push_ingest(body="not an object", exchange=GH_PR, counters=counters) is None

    assert counters.values['pulse_push_rejected{reason="unknown_repository"}'] == 1
    assert counters.values['pulse_push_rejected{reason="invalid_message"}'] == 2
    assert Push.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        # hg.mozilla.org while HG_URL is the sample server (before, the allow-list refused it)
        "https://hg.mozilla.org/try/json-pushes?version=2&full=1&startID=1&endID=2",
        "{hg}/mozilla-central/json-pushes?version=2&full=1&startID=1&endID=2",  # another repository
        "{hg}/try/json-pushes/../../mozilla-central/json-pushes?endID=2",  # climbs out of it
        "{hg}/try/raw-file/tip/secret?endID=2",  # another path of the repository
        "{hg}/try/json-pushes#endID=2",
    ],
)
def test_an_hg_url_that_is_not_the_repository_pushlog_is_refused_without_a_request(
    ingest_settings: Any, golden_repositories: None, sample_services: Any, url: str
) -> None:
    message = _hg_message(ingest_settings)
    message["payload"]["pushlog_pushes"][0]["push_full_json_url"] = url.format(hg=ingest_settings.HG_URL)
    requests_before = sample_services.requests
    counters = Counters()

    assert pulse_push_ingest(body=message, exchange=HG, counters=counters) is None

    assert counters.values['pulse_push_rejected{reason="invalid_push_url"}'] == 1
    assert sample_services.requests == requests_before
    assert Push.objects.count() == 0


@pytest.mark.parametrize(
    ("exchange", "field", "value"),
    [
        (GH_PUSH, "organization", "../../user"),
        (GH_PUSH, "organization", "mozilla-mobile/x"),
        (GH_PUSH, "repository", ".."),
        (GH_PUSH, "repository", "android-components?per_page=1"),
        (GH_PUSH, "event.base.sha", "7285afe57ae6207fdb5d6db45133dac2053b7820/../../x"),
        (GH_PUSH, "event.head.sha", "HEAD"),
        (GH_PR, "organization", "../../orgs/mozilla"),
        (GH_PR, "repository", "test_treeherder/../../x"),
        (GH_PR, "event.pullNumber", "1692/../../../user"),
        (GH_PR, "event.pullNumber", 0),
    ],
)
def test_github_fields_that_would_leave_their_api_path_are_refused_without_a_request(
    ingest_settings: Any, golden_repositories: None, sample_services: Any, exchange: str, field: str, value: Any
) -> None:
    body = sample("github_push")[0]["payload"] if exchange == GH_PUSH else sample("github_pr")
    if field.startswith("event."):
        body["details"][field] = value
    else:
        body[field] = value
    requests_before = sample_services.requests
    counters = Counters()

    assert pulse_push_ingest(body=body, exchange=exchange, counters=counters) is None

    assert counters.values['pulse_push_rejected{reason="invalid_message"}'] == 1
    assert sample_services.requests == requests_before
    assert Push.objects.count() == 0
