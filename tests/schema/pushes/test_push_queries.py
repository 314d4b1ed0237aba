"""The push list and one push: newest first, keyset pages, Treeherder's filters."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest

from apps.jobs.models import Job
from tests.factories import CommitFactory, JobFactory, PushFactory, RepositoryFactory
from tests.support.graphql import graphql_request

T0 = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)

PUSHES = """
query ($repo: String!, $first: Int!, $after: String, $author: String, $revision: String,
       $fromChange: String, $toChange: String, $since: DateTime, $until: DateTime) {
  pushes(repository: $repo, first: $first, after: $after, author: $author, revision: $revision,
         fromChange: $fromChange, toChange: $toChange, since: $since, until: $until) {
    pageInfo { hasNextPage endCursor }
    nodes { databaseId revision author }
  }
}
"""


@pytest.fixture
def pushes(db: None) -> list[Any]:
    repo = RepositoryFactory(name="pushes-test")
    RepositoryFactory(name="other-repo")
    return [
        PushFactory(
            repository=repo,
            revision=f"{n:x}" * 40 if n < 10 else f"{n:040x}",
            author=["Alice@Mozilla.com", "bob@mozilla.com"][n % 2],
            time=T0 + datetime.timedelta(hours=n),
        )
        for n in range(1, 8)
    ]


def _page(**variables: Any) -> dict[str, Any]:
    body = graphql_request(PUSHES, {"repo": "pushes-test", "first": 10, **variables})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["pushes"]
    return result


def _ids(page: dict[str, Any]) -> list[int]:
    return [n["databaseId"] for n in page["nodes"]]


def test_newest_first_in_keyset_pages(pushes: list[Any]) -> None:
    newest_first = [p.id for p in reversed(pushes)]
    seen: list[int] = []
    after = None
    while True:
        page = _page(first=3, after=after)
        seen += _ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == newest_first
    assert len(seen) == 7


def test_pushes_at_the_same_time_page_by_id(db: None) -> None:
    repo = RepositoryFactory(name="pushes-test")
    same = [PushFactory(repository=repo, time=T0) for _ in range(5)]

    first = _page(first=2)
    second = _page(first=10, after=first["pageInfo"]["endCursor"])

    assert _ids(first) + _ids(second) == sorted((p.id for p in same), reverse=True)


def test_author_is_exact_and_case_insensitive_and_can_be_excluded(pushes: list[Any]) -> None:
    alice = [p.id for p in reversed(pushes) if p.author.startswith("Alice")]
    bob = [p.id for p in reversed(pushes) if p.author.startswith("bob")]

    assert _ids(_page(author="alice@mozilla.com")) == alice
    assert _ids(_page(author="-alice@mozilla.com")) == bob
    assert _ids(_page(author="alice")) == []


def test_revision_full_or_prefix(pushes: list[Any]) -> None:
    third = pushes[2]

    assert _ids(_page(revision=third.revision)) == [third.id]
    assert _ids(_page(revision=third.revision[:12])) == [third.id]
    assert _ids(_page(revision="f" * 12)) == []


def test_from_and_to_change_bound_by_push_time(pushes: list[Any]) -> None:
    ids = [p.id for p in pushes]

    assert _ids(_page(fromChange=pushes[4].revision)) == ids[4:][::-1]
    assert _ids(_page(toChange=pushes[1].revision)) == ids[:2][::-1]
    assert _ids(_page(fromChange=pushes[1].revision, toChange=pushes[3].revision)) == ids[1:4][::-1]
    assert _ids(_page(fromChange="0" * 40)) == []


def test_since_and_until_are_inclusive(pushes: list[Any]) -> None:
    page = _page(
        since=(T0 + datetime.timedelta(hours=2)).isoformat(), until=(T0 + datetime.timedelta(hours=4)).isoformat()
    )

    assert _ids(page) == [pushes[3].id, pushes[2].id, pushes[1].id]


def test_unknown_repository_is_a_precise_error(pushes: list[Any]) -> None:
    body = graphql_request(PUSHES, {"repo": "no-such-repo", "first": 10})

    assert body["data"] is None
    assert body["errors"][0]["message"] == "Unknown repository `no-such-repo`."


def test_invalid_cursor_is_a_precise_error(pushes: list[Any]) -> None:
    body = graphql_request(PUSHES, {"repo": "pushes-test", "first": 10, "after": "bm90LWEtY3Vyc29y"})

    assert body["errors"][0]["message"] == "Invalid push cursor: pass back an endCursor this API returned."


def test_push_by_id_global_id_and_revision(pushes: list[Any]) -> None:
    push = pushes[0]
    CommitFactory(push=push, revision="a" * 40, author="A <a@m.com>", comments="Bug 1 - one")
    CommitFactory(push=push, revision=push.revision, author="B <b@m.com>", comments="Bug 2 - two")
    JobFactory(push=push, state=Job.State.COMPLETED, result=Job.Result.BUSTED)
    fields = (
        "id databaseId revision author time branch commitCount commits { revision author comments } "
        "status { completed busted pending running } repository { name }"
    )
    global_id = base64.b64encode(f"Push:{push.id}".encode()).decode()

    by_id = graphql_request(f"{{ push(id: {push.id}) {{ {fields} }} }}")["data"]["push"]
    by_global = graphql_request(f'{{ push(id: "{global_id}") {{ {fields} }} }}')["data"]["push"]
    by_revision = graphql_request(
        f'{{ push(repository: "pushes-test", revision: "{push.revision[:12]}") {{ {fields} }} }}'
    )["data"]["push"]
    node = graphql_request(f'{{ node(id: "{global_id}") {{ ... on Push {{ {fields} }} }} }}')["data"]["node"]

    assert (
        by_id
        == by_global
        == by_revision
        == node
        == {
            "id": global_id,
            "databaseId": push.id,
            "revision": push.revision,
            "author": push.author,
            "time": "2026-05-01T01:00:00+00:00",
            "branch": None,
            "commitCount": 2,
            "commits": [
                {"revision": "a" * 40, "author": "A <a@m.com>", "comments": "Bug 1 - one"},
                {"revision": push.revision, "author": "B <b@m.com>", "comments": "Bug 2 - two"},
            ],
            "status": {"completed": 1, "busted": 1, "pending": 0, "running": 0},
            "repository": {"name": "pushes-test"},
        }
    )


def test_push_arguments_are_checked(pushes: list[Any]) -> None:
    both = graphql_request(f'{{ push(id: 1, repository: "pushes-test", revision: "{pushes[0].revision}") {{ id }} }}')
    neither = graphql_request("{ push { id } }")
    wrong_type = graphql_request('{ push(id: "Sm9iOjE=") { id } }')  # a Job's global id

    assert both["errors"][0]["message"] == "Give either `id`, or both `repository` and `revision`."
    assert neither["errors"][0]["message"] == "Give either `id`, or both `repository` and `revision`."
    assert wrong_type["errors"][0]["message"] == "`Sm9iOjE=` is neither a numeric id nor a Push global id."
    assert graphql_request("{ push(id: 999999) { id } }")["data"] == {"push": None}
