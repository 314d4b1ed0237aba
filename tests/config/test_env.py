"""Configuration comes from the environment, and refuses to start half-configured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BASE_ENV = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}


def _load(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "from config.env import load; c = load(); print(c.embedded, c.database_url)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**BASE_ENV, **env}, capture_output=True, text=True, check=False
    )


def test_missing_service_urls_stop_start_up_with_a_clear_message() -> None:
    result = _load({"SECRET_KEY": "x" * 50, "REDIS_URL": "redis://127.0.0.1:6379/0"})

    assert result.returncode != 0
    assert "DATABASE_URL, CELERY_BROKER_URL not set" in result.stderr
    assert "EMBEDDED=true" in result.stderr


def test_production_without_secret_key_stops_start_up() -> None:
    result = _load(
        {
            "DATABASE_URL": "mysql://root@127.0.0.1:3306/x",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        }
    )

    assert result.returncode != 0
    assert "SECRET_KEY is not set and DEBUG is off" in result.stderr


def test_embedded_mode_uses_a_sqlite_file(tmp_path: Path) -> None:
    result = _load({"EMBEDDED": "true", "DEBUG": "true", "VAR_DIR": str(tmp_path)})

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"True sqlite:///{tmp_path}/treeherder.sqlite3"


def test_embedded_mode_is_announced_at_start_up(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**BASE_ENV, "EMBEDDED": "true", "DEBUG": "true", "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "EMBEDDED mode" in result.stderr
    assert "not for production" in result.stderr


def test_a_soft_time_limit_not_below_the_hard_one_stops_start_up() -> None:
    result = _load(
        {
            "EMBEDDED": "true",
            "DEBUG": "true",
            "INGEST_TASK_SOFT_TIME_LIMIT": "300",
            "INGEST_TASK_TIME_LIMIT": "300",
        }
    )

    assert result.returncode != 0
    assert "INGEST_TASK_SOFT_TIME_LIMIT (300) must be positive and below INGEST_TASK_TIME_LIMIT (300)" in result.stderr


def test_half_an_oidc_configuration_stops_start_up(tmp_path: Path) -> None:
    result = _load(
        {
            "EMBEDDED": "true",
            "DEBUG": "true",
            "VAR_DIR": str(tmp_path),
            "OIDC_RP_CLIENT_ID": "treeherder",
            "OIDC_OP_TOKEN_ENDPOINT": "https://auth.example.org/token",
        }
    )

    assert result.returncode != 0
    assert (
        "OIDC sign-in is half configured: OIDC_RP_CLIENT_SECRET, OIDC_OP_AUTHORIZATION_ENDPOINT, "
        "OIDC_OP_USER_ENDPOINT not set" in result.stderr
    )
