"""Storing a push and its commits: an idempotent upsert on (repository, revision).

Re-delivery refreshes author, time, branch and commits; a delivery that changes nothing writes
nothing and publishes nothing. The row is locked before it is compared, and a concurrent first
insert of the same push (unique key) makes the store run again and find that row.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from apps.core.columns import max_length
from apps.live.events import PushChanged
from apps.live.publish import publish
from apps.pushes.models import Commit, Push
from apps.repositories.models import Repository

logger = logging.getLogger(__name__)

MAX_COMMITS = 200


@dataclass(frozen=True)
class CommitData:
    revision: str
    author: str
    comments: str


@dataclass(frozen=True)
class PushData:
    """A push as the loaders build it (Treeherder's transformed push, typed)."""

    revision: str
    author: str
    time: datetime.datetime
    commits: tuple[CommitData, ...]
    branch: str = ""

    def as_treeherder_dict(self) -> dict[str, object]:
        """The shape of Treeherder's transformed_*.json, for comparison with its output."""
        return {
            "revision": self.revision,
            "author": self.author,
            "push_timestamp": int(self.time.timestamp()),
            "revisions": [{"revision": c.revision, "author": c.author, "comment": c.comments} for c in self.commits],
        }


@dataclass
class PushStoreResult:
    push: Push
    changed: tuple[str, ...] = field(default_factory=tuple)


def _store_once(repository: Repository, data: PushData) -> PushStoreResult:
    commits = data.commits[-MAX_COMMITS:]
    values = {
        "author": data.author[: max_length(Push, "author")],
        "time": data.time,
        "branch": data.branch[: max_length(Push, "branch")],
    }
    push = Push.objects.select_for_update().filter(repository=repository, revision=data.revision).first()
    changed: list[str] = []
    diff: list[str] = []
    if push is None:
        with transaction.atomic():
            push = Push.objects.create(
                repository=repository, revision=data.revision[: max_length(Push, "revision")], **values
            )
        changed.append("created")
    else:
        diff = [name for name, value in values.items() if getattr(push, name) != value]
        for name in diff:
            setattr(push, name, values[name])
    stored = {c.revision: c for c in Commit.objects.filter(push=push)}
    new_commits = []
    updated_commits = []
    for commit in commits:
        author, comments = commit.author[: max_length(Commit, "author")], commit.comments
        current = stored.get(commit.revision)
        if current is None:
            new_commits.append(
                Commit(
                    push=push,
                    revision=commit.revision[: max_length(Commit, "revision")],
                    author=author,
                    comments=comments,
                )
            )
        elif (current.author, current.comments) != (author, comments):
            current.author, current.comments = author, comments
            updated_commits.append(current)
    if new_commits:
        Commit.objects.bulk_create(new_commits, ignore_conflicts=True)
    if updated_commits:
        Commit.objects.bulk_update(updated_commits, ["author", "comments"])
    if "created" not in changed:
        changed += diff
        if new_commits or updated_commits:
            changed.append("commits")
        if changed:
            # save() bumps last_modified (auto_now) with the changed columns.
            push.save()
    if changed:
        push.repository = repository  # the row it was read or created with: no query
        publish([PushChanged.from_push(push, changed=tuple(changed))])
    return PushStoreResult(push=push, changed=tuple(changed))


def push_store(*, repository: Repository, data: PushData, attempts: int = 3) -> PushStoreResult:
    """Upsert the push and its (last 200) commits in one transaction; publish if anything changed."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return _store_once(repository, data)
        except IntegrityError:
            if attempt == attempts:
                raise
            logger.info("push %s %s raced another writer; storing it again", repository.name, data.revision)
    raise AssertionError("unreachable")
