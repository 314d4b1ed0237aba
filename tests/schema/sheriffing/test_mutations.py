"""The mutations through the GraphQL view in-process (Django's test client, the real Redis cache):
result unions for domain errors, the audit fields in the schema, the rate limit, and the token
commands, whose secrets reach neither the database nor a log line."""

from __future__ import annotations

import hashlib
import logging
import uuid
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from apps.accounts.models import ApiToken
from apps.classification.models import InvestigatedTest
from tests import factories as f
from tests.support.accounts import make_token, make_user
from tests.support.graphql import graphql_request

pytestmark = pytest.mark.usefixtures("reference_data")

CLASSIFY = """mutation ($jobs: [Int!]!, $fc: Int!, $bug: BugInput) {
  classifyJobs(input: {jobIds: $jobs, classificationId: $fc, text: "see bug", bug: $bug}) {
    __typename
    ... on JobsClassified { notes { databaseId who } jobs { failureClassification { databaseId } } }
    ... on NotFound { message ids }
    ... on InvalidInput { message field }
  }
}"""
DELETE_NOTE = (
    "mutation ($id: Int!) { deleteNote(databaseId: $id) { __typename ... on NoteDeleted { note { deleted } } } }"
)
LINK = """mutation ($job: Int!, $bug: BugInput!) {
  linkBug(jobId: $job, bug: $bug) { __typename ... on BugLinked { created } ... on InvalidInput { field } }
}"""
UNLINK = "mutation ($job: Int!, $bug: BugInput!) { unlinkBug(jobId: $job, bug: $bug) { __typename } }"
AUDIT = """query ($guid: String!) {
  job(guid: $guid) {
    failureClassification { databaseId }
    notes { who text deleted }
    noteHistory { who text deleted deletedBy deletedAt created failureClassification { databaseId } }
    bugLinks { who bug { bugzillaId } }
    bugLinkHistory { who deleted deletedBy bug { bugzillaId } }
  }
}"""
MARK = """mutation ($push: Int!, $type: Int!) {
  markInvestigatedTest(pushId: $push, jobTypeId: $type, test: "dom/test_a.html") { __typename }
}"""


def _bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_domain_errors_are_data_in_the_result_union() -> None:
    raw = make_token(make_user("union-bot", password=None), "classify")
    job = f.JobFactory(result="testfailed")

    missing = graphql_request(CLASSIFY, {"jobs": [job.id, 999_999_999], "fc": 4}, **_bearer(raw))
    no_bug = graphql_request(LINK, {"job": job.id, "bug": {}}, **_bearer(raw))
    no_note = graphql_request(DELETE_NOTE, {"id": 999_999_999}, **_bearer(raw))
    not_linked = graphql_request(UNLINK, {"job": job.id, "bug": {"bugzillaId": 5}}, **_bearer(raw))

    assert missing["data"]["classifyJobs"] == {
        "__typename": "NotFound",
        "message": "No job with id 999999999.",
        "ids": [999_999_999],
    }
    assert no_bug["data"]["linkBug"] == {"__typename": "InvalidInput", "field": "bugzillaId"}
    assert no_note["data"]["deleteNote"] == {"__typename": "NotFound"}
    assert not_linked["data"]["unlinkBug"] == {"__typename": "NotFound"}


def test_audit_fields_keep_who_when_and_deleted_notes() -> None:
    alice, bob = make_user("audit-alice"), make_user("audit-bob")
    alice_token, bob_token = make_token(alice, "classify"), make_token(bob, "classify")
    job = f.JobFactory(result="testfailed")

    first = graphql_request(CLASSIFY, {"jobs": [job.id], "fc": 2}, **_bearer(alice_token))["data"]["classifyJobs"]
    second = graphql_request(CLASSIFY, {"jobs": [job.id], "fc": 4, "bug": {"bugzillaId": 777}}, **_bearer(bob_token))
    note_id = second["data"]["classifyJobs"]["notes"][0]["databaseId"]
    deleted = graphql_request(DELETE_NOTE, {"id": note_id}, **_bearer(alice_token))
    graphql_request(UNLINK, {"job": job.id, "bug": {"bugzillaId": 777}}, **_bearer(alice_token))
    audit = graphql_request(AUDIT, {"guid": job.guid})["data"]["job"]

    assert first["jobs"] == [{"failureClassification": {"databaseId": 2}}]
    assert second["data"]["classifyJobs"]["jobs"] == [{"failureClassification": {"databaseId": 4}}]
    assert deleted["data"]["deleteNote"] == {"__typename": "NoteDeleted", "note": {"deleted": True}}
    assert audit["failureClassification"] == {"databaseId": 2}
    assert audit["notes"] == [{"who": "audit-alice@example.com", "text": "see bug", "deleted": False}]
    history = audit["noteHistory"]
    assert [(n["who"], n["deleted"], n["deletedBy"], n["failureClassification"]["databaseId"]) for n in history] == [
        ("audit-bob@example.com", True, "audit-alice@example.com", 4),
        ("audit-alice@example.com", False, None, 2),
    ]
    assert history[0]["deletedAt"] >= history[0]["created"]
    assert audit["bugLinks"] == []
    assert audit["bugLinkHistory"] == [
        {
            "who": "audit-bob@example.com",
            "deleted": True,
            "deletedBy": "audit-alice@example.com",
            "bug": {"bugzillaId": 777},
        }
    ]


def test_mutations_per_identity_are_rate_limited() -> None:
    raw = make_token(make_user("busy-bot", password=None), "classify")
    other = make_token(make_user("calm-bot", password=None), "classify")
    job = f.JobFactory(result="testfailed")
    variables = {"push": job.push_id, "type": job.job_type_id}

    # A fresh cache prefix: counts of earlier runs in the same window cannot leak in.
    with override_settings(MUTATION_RATE_LIMIT="3/h", RATELIMIT_CACHE_PREFIX=f"rl-test-{uuid.uuid4().hex}:"):
        answers = [graphql_request(MARK, variables, **_bearer(raw)) for _ in range(4)]
        someone_else = graphql_request(MARK, variables, **_bearer(other))

    assert [a["data"]["markInvestigatedTest"]["__typename"] for a in answers[:3]] == ["InvestigatedTestMarked"] * 3
    assert answers[3]["data"] is None
    assert answers[3]["errors"][0]["extensions"] == {
        "code": "RATE_LIMITED",
        "action": "mark_investigated",
        "rate": "3/h",
    }
    assert answers[3]["errors"][0]["message"] == "Too many changes (at most 3/h per user): retry later."
    assert someone_else["data"]["markInvestigatedTest"]["__typename"] == "InvestigatedTestMarked"


def test_oversized_bodies_are_refused(client: Any) -> None:
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000):
        response = client.post(
            "/graphql", data={"query": "{ me { username } }", "pad": "x" * 20_000}, content_type="application/json"
        )
    assert response.status_code == 400


def test_token_commands_print_the_token_once_and_never_log_it(caplog: pytest.LogCaptureFixture) -> None:
    user = make_user("command-bot", password=None)
    out, err = StringIO(), StringIO()
    with caplog.at_level(logging.DEBUG):
        call_command(
            "api_token", "create", "command-bot", "ci", "--scope", "classify", "--days", "5", stdout=out, stderr=err
        )
        raw = out.getvalue().strip()
        me = graphql_request("{ me { username scopes } }", **_bearer(raw))
        token = ApiToken.objects.get(user=user)
        call_command("api_token", "revoke", str(token.id), stdout=StringIO())
        refused = graphql_request("{ me { username } }", **_bearer(raw))
        listing = StringIO()
        call_command("api_token", "list", "command-bot", stdout=listing)

    assert me["data"]["me"] == {"username": "command-bot", "scopes": ["CLASSIFY"]}
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest() and token.scopes == "classify"
    assert raw not in err.getvalue() and raw not in listing.getvalue()
    assert f"{token.prefix}…" in listing.getvalue() and "revoked" in listing.getvalue()
    assert caplog.records  # the requests did log (the refusal at least), just never the token
    assert raw not in caplog.text and raw[10:] not in caplog.text


def test_writes_pause_while_the_rate_limit_counter_is_unreachable() -> None:
    raw = make_token(make_user("paused-bot", password=None), "classify")
    job = f.JobFactory(result="testfailed")
    caches = {
        **settings.CACHES,
        # Nothing listens on port 1: every cache call fails the way a Redis outage does.
        "unreachable": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }

    with override_settings(CACHES=caches, RATELIMIT_USE_CACHE="unreachable"):
        body = graphql_request(MARK, {"push": job.push_id, "type": job.job_type_id}, **_bearer(raw))

    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "action": "mark_investigated"}
    assert not InvestigatedTest.objects.exists()
