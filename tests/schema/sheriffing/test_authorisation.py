"""Who may do what, over real HTTP against a real Daphne: every mutation with every kind of client
(the permission table in apps/accounts/permissions.py), CSRF on cookie sessions, sign-in and
sign-out, and tokens that are stored hashed and never logged."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pytest

from apps.accounts.identity import InvalidCredentials, principal_for_request
from apps.accounts.models import ApiToken
from apps.classification import services as classification
from tests import factories as f
from tests.schema.live.conftest import LiveStack
from tests.support.accounts import Caller, error_code, make_token, make_user

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("committed")]

CLASSIFY = """mutation ($jobs: [Int!]!) {
  classifyJobs(input: {jobIds: $jobs, classificationId: 4, text: "intermittent"}) { __typename }
}"""
LINK = "mutation ($job: Int!, $bug: Int!) { linkBug(jobId: $job, bug: {bugzillaId: $bug}) { __typename } }"
UNLINK = "mutation ($job: Int!, $bug: Int!) { unlinkBug(jobId: $job, bug: {bugzillaId: $bug}) { __typename } }"
DELETE_NOTE = "mutation ($note: Int!) { deleteNote(databaseId: $note) { __typename } }"
MARK = """mutation ($push: Int!, $type: Int!) {
  markInvestigatedTest(pushId: $push, jobTypeId: $type, test: "dom/test_a.html") { __typename }
}"""
UNMARK = """mutation ($push: Int!, $type: Int!) {
  unmarkInvestigatedTest(pushId: $push, jobTypeId: $type, test: "dom/test_a.html") { __typename }
}"""
CLEAR = "mutation ($push: Int!) { clearPushClassifications(pushId: $push) { __typename } }"
CREATE_TOKEN = """mutation { createApiToken(name: "bot", scopes: [CLASSIFY], expiresInDays: 7) {
  __typename ... on ApiTokenCreated { token apiToken { databaseId prefix scopes } } } }"""
REVOKE_TOKEN = "mutation ($id: Int!) { revokeApiToken(databaseId: $id) { __typename } }"
ME = "{ me { username isSheriff via scopes } }"

SUCCESS = {
    "classify": "JobsClassified",
    "link": "BugLinked",
    "unlink": "BugUnlinked",
    "delete_note": "NoteDeleted",
    "mark": "InvestigatedTestMarked",
    "unmark": "InvestigatedTestUnmarked",
    "clear": "PushClassificationsCleared",
    "create_token": "ApiTokenCreated",
    "revoke_token": "ApiTokenRevoked",
}


@dataclass
class World:
    """What one client acts on: its own push, failed job, note and token, so clients do not interfere."""

    push_id: int
    job_id: int
    job_type_id: int
    note_id: int
    token_id: int
    bug: int


def _world(n: int) -> World:
    author = make_user(f"matrix-author{n}", password=None)
    job = f.JobFactory(result="testfailed")
    note = classification.jobs_classify(user=author, job_ids=[job.id], classification_id=2)[0]
    return World(
        push_id=job.push_id,
        job_id=job.id,
        job_type_id=job.job_type_id,
        note_id=note.id,
        token_id=0,
        bug=1_000_000 + n,
    )


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _outcomes(caller: Caller, world: World) -> dict[str, str]:
    """Each mutation's outcome: its success type name, or the refusal's error code."""
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("classify", CLASSIFY, {"jobs": [world.job_id]}),
        ("link", LINK, {"job": world.job_id, "bug": world.bug}),
        ("unlink", UNLINK, {"job": world.job_id, "bug": world.bug}),
        ("delete_note", DELETE_NOTE, {"note": world.note_id}),
        ("mark", MARK, {"push": world.push_id, "type": world.job_type_id}),
        ("unmark", UNMARK, {"push": world.push_id, "type": world.job_type_id}),
        ("clear", CLEAR, {"push": world.push_id}),
        ("create_token", CREATE_TOKEN, {}),
        ("revoke_token", REVOKE_TOKEN, {"id": world.token_id}),
    ]
    outcomes = {}
    for name, query, variables in calls:
        body = caller.post(query, variables)
        code = error_code(body)
        if code is not None:
            outcomes[name] = code
        else:
            (result,) = body["data"].values()
            outcomes[name] = "ok" if result["__typename"] == SUCCESS[name] else result["__typename"]
    return outcomes


ALLOWED_TO_ANY_SIGNED_IN = {
    "classify": "ok",
    "link": "ok",
    "unlink": "ok",
    "delete_note": "ok",
    "mark": "ok",
    "unmark": "ok",
}


def test_authorisation_matrix_over_http(sheriff_stack: LiveStack) -> None:
    url = sheriff_stack.url
    user, sheriff = make_user("matrix-user"), make_user("matrix-sheriff", sheriff=True)
    bot, sheriff_bot = (
        make_user("matrix-bot", password=None),
        make_user("matrix-sheriff-bot", sheriff=True, password=None),
    )
    clients = {
        "anonymous": Caller(url),
        "user": Caller(url).sign_in("matrix-user"),
        "sheriff": Caller(url).sign_in("matrix-sheriff"),
        "classify_token": Caller(url, token=make_token(bot, "read", "classify")),
        "sheriff_classify_token": Caller(url, token=make_token(sheriff_bot, "classify")),
        "read_token": Caller(url, token=make_token(bot, "read")),
        "revoked_token": Caller(url, token=make_token(bot, "classify", revoked=True)),
        "expired_token": Caller(url, token=make_token(bot, "classify", expired=True)),
    }
    owners = {"user": user, "sheriff": sheriff}
    results = {}
    for n, (name, caller) in enumerate(clients.items()):
        world = _world(n)
        if name in owners:  # a token of theirs to revoke through the API
            world.token_id = ApiToken.objects.get(digest=_digest(make_token(owners[name]))).id
        results[name] = _outcomes(caller, world)

    refused = dict.fromkeys(SUCCESS, "UNAUTHENTICATED")
    assert results == {
        "anonymous": refused,
        "user": {**ALLOWED_TO_ANY_SIGNED_IN, "clear": "FORBIDDEN", "create_token": "ok", "revoke_token": "ok"},
        "sheriff": {**ALLOWED_TO_ANY_SIGNED_IN, "clear": "ok", "create_token": "ok", "revoke_token": "ok"},
        "classify_token": {
            **ALLOWED_TO_ANY_SIGNED_IN,
            "clear": "FORBIDDEN",
            "create_token": "FORBIDDEN",
            "revoke_token": "FORBIDDEN",
        },
        "sheriff_classify_token": {
            **ALLOWED_TO_ANY_SIGNED_IN,
            "clear": "ok",
            "create_token": "FORBIDDEN",
            "revoke_token": "FORBIDDEN",
        },
        "read_token": dict.fromkeys(SUCCESS, "FORBIDDEN"),
        "revoked_token": refused,
        "expired_token": refused,
    }


def test_csrf_is_required_of_cookie_sessions_only(sheriff_stack: LiveStack) -> None:
    make_user("csrf-user")
    job = f.JobFactory(result="testfailed")
    browser = Caller(sheriff_stack.url).sign_in("csrf-user")

    browser.csrf = False
    refused = browser.post(CLASSIFY, {"jobs": [job.id]})
    read = browser.post(ME)
    browser.csrf = True
    accepted = browser.post(CLASSIFY, {"jobs": [job.id]})

    assert error_code(refused) == "CSRF_FAILED"
    assert "X-CSRFToken" in refused["errors"][0]["message"]
    assert read["data"]["me"]["username"] == "csrf-user"  # reads need no CSRF token
    assert accepted["data"]["classifyJobs"]["__typename"] == "JobsClassified"
    job.refresh_from_db()
    assert job.failure_classification_id == 4


def test_me_sign_in_and_sign_out(sheriff_stack: LiveStack) -> None:
    make_user("me-sheriff", sheriff=True)
    browser = Caller(sheriff_stack.url)
    assert browser.post(ME)["data"] == {"me": None}

    browser.sign_in("me-sheriff")
    signed_in = browser.post(ME)
    logout = browser.session.post(
        f"{sheriff_stack.url}/accounts/logout/",
        headers={"X-CSRFToken": browser.session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=30,
    )
    signed_out = browser.post(ME)

    assert signed_in["data"] == {
        "me": {"username": "me-sheriff", "isSheriff": True, "via": "session", "scopes": ["CLASSIFY", "READ"]}
    }
    assert logout.status_code == 302
    assert signed_out["data"] == {"me": None}


def test_tokens_are_shown_once_stored_hashed_and_never_logged(sheriff_stack: LiveStack) -> None:
    make_user("token-owner")
    browser = Caller(sheriff_stack.url).sign_in("token-owner")

    created = browser.post(CREATE_TOKEN)["data"]["createApiToken"]
    raw = created["token"]
    bot = Caller(sheriff_stack.url, token=raw)
    me = bot.post(ME)["data"]["me"]
    listed = browser.post("{ me { apiTokens { databaseId prefix lastUsedAt revokedAt } } }")["data"]["me"]["apiTokens"]
    browser.post(REVOKE_TOKEN, {"id": created["apiToken"]["databaseId"]})
    after_revoke = bot.post(ME)
    bot.post(CLASSIFY, {"jobs": [1]})

    row = ApiToken.objects.get(id=created["apiToken"]["databaseId"])
    assert raw.startswith("thp_") and len(raw) > 40
    assert created["apiToken"]["prefix"] == raw[:10]
    assert row.digest == _digest(raw)
    stored = " ".join(str(v) for v in ApiToken.objects.filter(id=row.id).values().first().values())
    assert raw not in stored and raw[10:] not in stored
    assert me == {"username": "token-owner", "isSheriff": False, "via": "token", "scopes": ["CLASSIFY"]}
    assert listed[0]["databaseId"] == row.id and listed[0]["lastUsedAt"] is not None and listed[0]["revokedAt"] is None
    assert error_code(after_revoke) == "UNAUTHENTICATED"
    assert raw not in after_revoke["errors"][0]["message"]
    for log in (sheriff_stack.daphne.log(), sheriff_stack.relay.log()):
        assert raw not in log and raw[10:] not in log


@pytest.mark.django_db
def test_an_authorization_header_must_be_a_live_bearer_token(rf: Any) -> None:
    # (In-process, and needing the database: running this module alone still sets up the test
    # database, which the module's stack uses.)
    raw = make_token(make_user("header-bot", password=None), "read")
    for header in ("Basic dXNlcjpwYXNz", f"Bearer {raw}x", "Bearer "):
        with pytest.raises(InvalidCredentials) as refused:
            principal_for_request(rf.post("/graphql", HTTP_AUTHORIZATION=header))
        assert raw not in str(refused.value)
    assert principal_for_request(rf.post("/graphql", HTTP_AUTHORIZATION=f"bearer {raw}")).username == "header-bot"
