"""The hg pushlog failsafe (Treeherder's `fetch-push-logs`, every 5 minutes): pushes whose Pulse
message never came are read from each active hg repository's pushlog and stored.

Per repository the last pushlog id seen is kept in the shared cache: the next run asks for the
pushes after it (`startID`); without one (first run, or the cache was cleared) it reads the newest
pushes json-pushes returns by default (ten). hg push ids only grow, so an answer whose `lastpushid`
is below the cached one means the repository was reset: the cache entry is dropped and the newest
pushes are read instead. Storing is the same idempotent upsert as Pulse ingestion, so a push that
did arrive over Pulse changes nothing and publishes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache

from apps.core.http import OutboundError, http_get_json
from apps.core.metrics import Counters
from apps.core.pulse import Rejected
from apps.pushes.services.loaders import hg_push_data, hg_url_mapped
from apps.pushes.services.store import push_store
from apps.repositories.models import Repository

logger = logging.getLogger(__name__)

LAST_PUSH_KEY = "pushlog:last_push_id:{repository_id}"


@dataclass
class PushlogResult:
    repositories: int = 0
    pushes_seen: int = 0
    recovered: list[str] = field(default_factory=list)  # "<repository>:<revision>" of pushes stored anew
    errors: list[str] = field(default_factory=list)


def _pushlog(url: str) -> dict[str, Any]:
    response = http_get_json(url)
    if not isinstance(response, dict) or not isinstance(response.get("pushes"), dict):
        raise Rejected("invalid_response", f"json-pushes at {url} is not a version 2 pushlog")
    return response


def repository_pushlog_fetch(repository: Repository, result: PushlogResult, counters: Counters) -> None:
    base = f"{hg_url_mapped(repository.url.rstrip('/'))}/json-pushes?full=1&version=2"
    key = LAST_PUSH_KEY.format(repository_id=repository.id)
    last = cache.get(key)
    response = _pushlog(f"{base}&startID={int(last)}" if last else base)
    if last and int(response.get("lastpushid") or 0) < int(last):
        logger.warning(
            "pushlog of %s went back to id %s (was %s): reset", repository.name, response["lastpushid"], last
        )
        cache.delete(key)
        response = _pushlog(base)
    for push_id in sorted(response["pushes"], key=int):
        result.pushes_seen += 1
        try:
            data = hg_push_data(response["pushes"][push_id], base)
        except Rejected as exc:
            logger.info("pushlog %s push %s skipped (%s)", repository.name, push_id, exc.detail)
            continue
        stored = push_store(repository=repository, data=data)
        if "created" in stored.changed:
            result.recovered.append(f"{repository.name}:{data.revision}")
            counters.incr("pushlog_pushes_recovered", repository=repository.name)
            logger.warning(
                "pushlog failsafe stored %s push %s, which Pulse never delivered", repository.name, data.revision
            )
    if response.get("lastpushid"):
        cache.set(key, int(response["lastpushid"]), timeout=None)


def pushlogs_fetch(*, repositories: list[str] | None = None, counters: Counters | None = None) -> PushlogResult:
    """Read the pushlog of every active hg repository (or those named). One failing repository is
    logged and the others go on."""
    counters = counters or Counters()
    result = PushlogResult()
    queryset = Repository.objects.filter(
        dvcs_type=Repository.DvcsType.HG, active_status=Repository.ActiveStatus.ACTIVE
    ).order_by("id")
    if repositories:
        queryset = queryset.filter(name__in=repositories)
    try:
        for repository in queryset:
            result.repositories += 1
            try:
                repository_pushlog_fetch(repository, result, counters)
            except (OutboundError, Rejected, KeyError, TypeError, ValueError) as exc:
                logger.warning("pushlog of %s not read: %s", repository.name, exc)
                result.errors.append(f"{repository.name}: {exc}")
    finally:
        counters.flush()
    return result
