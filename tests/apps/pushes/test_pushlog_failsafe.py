"""The hg pushlog failsafe recovers pushes whose Pulse message never came, from the pushlog served by
a local HTTP server standing in for hg.mozilla.org; pushes Pulse did deliver change nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

from apps.core.http import reset_pool
from apps.live.models import Event
from apps.pushes.models import Commit, Push
from apps.pushes.services import PushData, push_store
from apps.pushes.services.pushlog import pushlogs_fetch
from apps.pushes.services.store import CommitData
from tests.factories import RepositoryFactory
from tests.support.http_server import Request, serve_json

pytestmark = pytest.mark.django_db


def _push(push_id: int) -> dict[str, Any]:
    return {
        "date": 1_764_600_000 + push_id,
        "user": f"dev{push_id}@mozilla.com",
        "changesets": [
            {"node": f"{push_id:02d}" + "a" * 38, "author": "Dev <dev@mozilla.com>", "desc": f"Bug {push_id} - one"},
            {"node": f"{push_id:02d}" + "b" * 38, "author": "Dev <dev@mozilla.com>", "desc": f"Bug {push_id} - two"},
        ],
    }


def test_pushes_pulse_never_announced_are_recovered(settings: Any) -> None:
    repository = RepositoryFactory(name="failsafe-repo", url="https://hg.mozilla.org/integration/failsafe-repo")
    pushlog = {1: _push(1), 2: _push(2), 3: _push(3)}

    def answer(request: Request) -> tuple[int, Any]:
        if request.path != "/integration/failsafe-repo/json-pushes":
            return 404, {"error": "not found"}
        start = int(request.query.get("startID", ["0"])[0])
        pushes = {str(i): p for i, p in pushlog.items() if i > start}
        return 200, {"lastpushid": max(pushlog), "pushes": pushes}

    cache.clear()
    with serve_json(answer) as hg:
        settings.HG_URL = hg.url
        reset_pool()
        # Push 2 came over Pulse; 1 and 3 never did.
        push_store(
            repository=repository,
            data=PushData(
                revision="02" + "b" * 38,
                author="dev2@mozilla.com",
                time=datetime.datetime.fromtimestamp(1_764_600_002, tz=datetime.UTC),
                commits=tuple(CommitData(c["node"], c["author"], c["desc"]) for c in _push(2)["changesets"]),
            ),
        )
        events_before = Event.objects.count()

        first = pushlogs_fetch(repositories=["failsafe-repo"])

        assert first.recovered == ["failsafe-repo:01" + "b" * 38, "failsafe-repo:03" + "b" * 38]
        assert first.pushes_seen == 3 and first.errors == []
        assert Event.objects.count() == events_before + 2  # the known push published nothing
        assert set(Push.objects.filter(repository=repository).values_list("revision", flat=True)) == {
            f"0{i}" + "b" * 38 for i in (1, 2, 3)
        }
        assert Commit.objects.filter(push__repository=repository).count() == 6
        assert "startID" not in hg.requests[0].query  # nothing cached yet: the newest pushes
        assert hg.requests[0].query["full"] == ["1"] and hg.requests[0].query["version"] == ["2"]

        pushlog[4] = _push(4)
        call_command("fetch_push_logs", "--repository", "failsafe-repo", verbosity=0)

        assert hg.requests[-1].query["startID"] == ["3"]  # only what came after the last one seen
        assert Push.objects.filter(repository=repository, revision="04" + "b" * 38).exists()
        assert Push.objects.filter(repository=repository).count() == 4
    reset_pool()
