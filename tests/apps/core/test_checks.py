"""System checks: a MySQL/MariaDB database that does not default to utf8mb4_bin stops `migrate`."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from django.db import connection

from apps.core.checks import check_database_collation
from tests.support.processes import ROOT, VENV_BIN, process_env
from tests.support.processes import test_database_url as database_url_of_tests

pytestmark = pytest.mark.django_db


def test_the_test_database_passes() -> None:
    assert check_database_collation(None, databases=["default"]) == []


def test_migrate_refuses_a_database_with_another_collation(tmp_path: Path) -> None:
    # The suite runs on MariaDB (bin/test); on anything else this check has nothing to check.
    assert connection.vendor == "mysql", "this test needs the MariaDB test database that bin/test sets up"
    name = f"th_collation_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    try:
        url = database_url_of_tests().rsplit("/", 1)[0] + f"/{name}"
        result = subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=process_env({"DATABASE_URL": url}),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s", [name])
            tables = cursor.fetchone()[0]
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE `{name}`")

    assert result.returncode != 0
    assert "core.E001" in result.stderr
    assert f"Database '{name}' (alias 'default') has the default collation utf8mb4_general_ci" in result.stderr
    assert tables == 0  # stopped before creating anything
