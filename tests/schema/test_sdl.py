"""The committed SDL (schema/schema.graphql) is the schema the code builds."""

from __future__ import annotations

from schema.export import SDL_PATH, sdl


def test_committed_sdl_matches_the_code() -> None:
    committed = SDL_PATH.read_text(encoding="utf-8")

    assert committed == sdl(), "schema/schema.graphql is stale: run `.venv/bin/python -m schema.export`"


def test_sdl_names_the_public_contract() -> None:
    text = SDL_PATH.read_text(encoding="utf-8")

    for name in (
        "repositories(",
        "repository(name: String!)",
        "pushes(repository: String!, first: Int! = 10, after: String = null",
        "push(id: ID = null, repository: String = null, revision: String = null)",
        "jobs(",
        "job(id: ID = null, guid: String = null)",
        "jobTable(",
        "failureClassifications:",
        "node(",
        "type Job implements Node",
        "type Push implements Node",
    ):
        assert name in text, name
