"""Unexpected errors are masked in production (logged in full); client errors stay precise."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import strawberry
from asgiref.sync import async_to_sync
from django.db import connection

from apps.jobs.models import Job
from schema.context import Context
from schema.jobs.queries import JobQueries
from schema.pushes.queries import PushQueries
from schema.schema import CONFIG, extensions
from tests.factories import JobFactory


@strawberry.type
class Query(PushQueries, JobQueries):
    """The root without `node`: Strawberry's relay node field can join only one schema per process."""


def break_machine_row(job: Job) -> None:
    """Delete the job's machine behind the foreign key's back: a broken database, not a client error."""
    with connection.cursor() as cursor:
        cursor.execute("SET FOREIGN_KEY_CHECKS=0")
        cursor.execute("DELETE FROM machine WHERE id = %s", [job.machine_id])
        cursor.execute("SET FOREIGN_KEY_CHECKS=1")


def _run(*, debug: bool, query: str) -> Any:
    schema = strawberry.Schema(query=Query, extensions=extensions(debug=debug), config=CONFIG)
    return async_to_sync(schema.execute)(query, context_value=Context())


@pytest.fixture
def broken_job(reference_data: None) -> Job:
    job = JobFactory()
    break_machine_row(job)
    return job


def test_production_masks_unexpected_errors_and_logs_them(broken_job: Job, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        result = _run(debug=False, query=f"{{ job(id: {broken_job.id}) {{ guid machine {{ name }} }} }}")

    assert [e.message for e in result.errors] == ["Unexpected error."]
    assert result.errors[0].path == ["job", "machine"]
    assert result.errors[0].original_error is None
    assert result.data == {"job": None}
    assert "a referenced row is missing" in caplog.text
    assert "Traceback" in caplog.text


def test_debug_shows_the_error(broken_job: Job) -> None:
    result = _run(debug=True, query=f"{{ job(id: {broken_job.id}) {{ machine {{ name }} }} }}")

    assert [e.message for e in result.errors] == ["a referenced row is missing"]


def test_production_keeps_client_errors_precise(reference_data: None) -> None:
    invalid = _run(debug=False, query="{ job(id: 1) { nope } }")
    user = _run(debug=False, query='{ job(id: "not-an-id") { guid } }')
    cursor = _run(debug=False, query='{ jobs(repository: "autoland", after: "garbage") { nodes { id } } }')
    syntax = _run(debug=False, query="{ job(id: 1) { guid }")

    assert invalid.errors[0].message == "Cannot query field 'nope' on type 'Job'. Did you mean 'notes'?"
    assert user.errors[0].message == "`not-an-id` is neither a numeric id nor a Job global id."
    assert cursor.errors[0].message == "Invalid job cursor: pass back an endCursor this API returned."
    assert syntax.errors[0].message == "Syntax Error: Expected Name, found <EOF>."
