"""A benchmark's own scratch database, next to the developer's: `<DATABASE_URL name>_<suffix>`,
dropped and recreated, migrated and loaded with reference data, so a run never touches the data
of bin/run or of the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]


def scratch_database_url(suffix: str = "bench") -> str:
    url = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(url._replace(path=url.path.rstrip("/") + f"_{suffix}"))


_CREATE_DB = """
import os
from urllib.parse import urlparse
import MySQLdb
u = urlparse(os.environ["DATABASE_URL"])
c = MySQLdb.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root", passwd=u.password or "")
c.cursor().execute(f"DROP DATABASE IF EXISTS `{u.path[1:]}`")
c.cursor().execute(f"CREATE DATABASE `{u.path[1:]}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
"""


def setup_database(env: dict[str, str], *, reference_data: bool = True) -> None:
    """Recreate env["DATABASE_URL"]'s database, migrate it and (unless told not to) load the
    reference data. Subprocesses: the caller may not have set Django up, or set it up on another
    database."""
    py = sys.executable
    subprocess.run([py, "-c", _CREATE_DB], env=env, check=True, cwd=ROOT)
    subprocess.run([py, "manage.py", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    if reference_data:
        subprocess.run([py, "manage.py", "load_reference_data", "-v0"], env=env, check=True, cwd=ROOT)
