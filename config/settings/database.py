"""Database: MariaDB/MySQL through mysqlclient, or a SQLite file in embedded mode."""

import environ

from config.env import CONFIG, RESILIENCE

_db = environ.Env.db_url_config(CONFIG.database_url)

if _db["ENGINE"] == "django.db.backends.mysql":
    _db["OPTIONS"] = {
        "charset": "utf8mb4",
        # READ COMMITTED: concurrent ingestion upserts take no gap locks, so they don't deadlock
        # each other on the unique indexes the way REPEATABLE READ does.
        "isolation_level": "read committed",
        "init_command": "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE'",
        "connect_timeout": 5,
    }
    # Binary collation: unique keys compare exactly ("Foo" and "foo" are two job types), the way the
    # ingestion caches in Python compare them.
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_bin"}
    _db["CONN_MAX_AGE"] = 300
    _db["CONN_HEALTH_CHECKS"] = True
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    CONFIG.var_dir.mkdir(parents=True, exist_ok=True)
    # One writer at a time: WAL lets readers proceed, IMMEDIATE takes the write lock up front (no
    # "database is locked" on lock upgrade), and the timeout waits for the other writer.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DATABASES = {"default": _db}

# Write transactions aborted by a lock conflict run again (apps/core/transactions.py).
DB_CONFLICT_ATTEMPTS = RESILIENCE.db_conflict_attempts
DB_CONFLICT_BACKOFF_MS = RESILIENCE.db_conflict_backoff_ms
