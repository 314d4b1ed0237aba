"""Failure data types: error lines, structured failure lines, and bugs (Treeherder's Bugscache)."""

from __future__ import annotations

import datetime

import strawberry

from apps.failures import models
from apps.failures.suggestions import LineSuggestions
from schema.failures.dataloaders import BugSuggestionsByLineLoader
from schema.info import Info


@strawberry.type(description="An error line found in a job's raw log (at most 40 per job).")
class TextLogError:
    database_id: int
    line: str
    line_number: int
    new_failure: bool = strawberry.field(description='Not seen on trunk in the last 21 days ("NEW" in the UI).')

    @classmethod
    def from_model(cls, row: models.TextLogError) -> TextLogError:
        return cls(database_id=row.id, line=row.line, line_number=row.line_number, new_failure=row.new_failure)

    @strawberry.field(
        description="Bugs whose summaries match this line's search terms (Treeherder's bug_suggestions), "
        "batched for every line of the request."
    )
    async def bug_suggestions(self, info: Info) -> BugSuggestions:
        found = await BugSuggestionsByLineLoader.of(info).load(self.line)
        return BugSuggestions.from_suggestions(found)


@strawberry.type(description="A line of a job's structured (mozlog) error summary (at most 150 per log).")
class FailureLine:
    database_id: int
    action: str = strawberry.field(description="test_result, log, crash, truncated, group_result, ...")
    line: int = strawberry.field(description="The line number in the error summary.")
    test: str
    subtest: str
    status: str
    expected: str
    message: str
    signature: str
    level: str
    stack: str
    known_intermittent: list[str]

    @classmethod
    def from_model(cls, row: models.FailureLine) -> FailureLine:
        known = row.known_intermittent if isinstance(row.known_intermittent, list) else []
        return cls(
            database_id=row.id,
            action=row.action,
            line=row.line,
            test=row.test,
            subtest=row.subtest,
            status=row.status,
            expected=row.expected,
            message=row.message,
            signature=row.signature,
            level=row.level,
            stack=row.stack,
            known_intermittent=[str(k) for k in known],
        )


@strawberry.type(description="A Bugzilla bug (or an internal issue, which has no bugzillaId) known to Treeherder.")
class Bug:
    database_id: int = strawberry.field(description="Treeherder's internal id (the API's internal_id).")
    bugzilla_id: int | None = strawberry.field(description="The Bugzilla bug number; null for internal issues.")
    status: str
    resolution: str
    summary: str
    dupe_of: int | None
    crash_signature: str
    keywords: list[str]
    whiteboard: str
    modified: datetime.datetime
    occurrences: int | None = strawberry.field(
        default=None, description="Internal issues only: jobs linked to it in the last 7 days (in suggestions)."
    )

    @classmethod
    def from_model(cls, row: models.Bugscache, occurrences: int | None = None) -> Bug:
        return cls(
            occurrences=occurrences,
            database_id=row.id,
            bugzilla_id=row.bugzilla_id,
            status=row.status,
            resolution=row.resolution,
            summary=row.summary,
            dupe_of=row.dupe_of,
            crash_signature=row.crash_signature,
            keywords=[k.strip() for k in row.keywords.split(",") if k.strip()],
            whiteboard=row.whiteboard,
            modified=row.modified,
        )


@strawberry.type(description="Bug suggestions for one error line (Treeherder's bug_suggestions entry).")
class BugSuggestions:
    search: str = strawberry.field(description="The cleaned line (prefixes, PIDs and C++ line numbers removed).")
    search_terms: list[str] = strawberry.field(description="What was searched for in bug summaries.")
    path_end: str | None = strawberry.field(description="The test path of a `RESULT | path | message` line.")
    open_recent: list[Bug] = strawberry.field(description="Matching bugs without a resolution.")
    all_others: list[Bug] = strawberry.field(description="Matching resolved bugs.")

    @classmethod
    def from_suggestions(cls, found: LineSuggestions) -> BugSuggestions:
        return cls(
            search=found.search,
            search_terms=found.search_terms,
            path_end=found.path_end,
            open_recent=[Bug.from_model(b, found.occurrences.get(b.id)) for b in found.bugs.open_recent],
            all_others=[Bug.from_model(b, found.occurrences.get(b.id)) for b in found.bugs.all_others],
        )
