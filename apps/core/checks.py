"""System checks of the deployment that Django's own checks do not cover."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import connections

REQUIRED_COLLATION = "utf8mb4_bin"


def _default_collation(alias: str) -> tuple[str, str | None]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT SCHEMA_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()"
        )
        row = cursor.fetchone()
    name = str(connection.settings_dict["NAME"])
    return (str(row[0]), str(row[1])) if row else (name, None)


@register(Tags.database)
def check_database_collation(
    app_configs: Iterable[Any] | None, databases: Iterable[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """A MySQL/MariaDB database must default to utf8mb4_bin (`migrate` runs this check).

    Unique keys must compare exactly, the way ingestion's caches compare them: under a case- or
    accent-insensitive collation ('Foo' = 'foo') two job types or machines collide, INSERT IGNORE
    drops one and its read-back fails. bin/lib/common.sh creates databases this way; one created by
    other means (ops, a managed service) may not be.
    """
    errors: list[CheckMessage] = []
    for alias in databases or ():
        if connections[alias].vendor != "mysql":
            continue
        name, collation = _default_collation(alias)
        if collation != REQUIRED_COLLATION:
            errors.append(
                Error(
                    f"Database {name!r} (alias {alias!r}) has the default collation {collation}, not "
                    f"{REQUIRED_COLLATION}: unique keys of reference data would compare inexactly.",
                    hint=(
                        f"Create it with CHARACTER SET utf8mb4 COLLATE {REQUIRED_COLLATION}, or, before "
                        f"migrating, ALTER DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE {REQUIRED_COLLATION} "
                        "(tables that exist already keep their collation: convert them with ALTER TABLE ... "
                        f"CONVERT TO CHARACTER SET utf8mb4 COLLATE {REQUIRED_COLLATION})."
                    ),
                    id="core.E001",
                )
            )
    return errors
