"""Pulse ingestion: listener batching, retries, Taskcluster definition caching, counters."""

from urllib.parse import unquote, urlsplit

from config.env import CONFIG, INGEST

INGEST_PROJECTS = INGEST.projects_to_ingest
# Listener: up to INGEST_BATCH_SIZE messages, or what arrived within INGEST_BATCH_WAIT seconds, go
# to the workers as one Celery task.
INGEST_BATCH_SIZE = INGEST.batch_size
INGEST_BATCH_WAIT = INGEST.batch_wait
PULSE_PREFETCH = INGEST.pulse_prefetch
# Transient failures and jobs whose push has not arrived: retry n waits about base * 2**n seconds, at
# most 25 minutes (workers/tasks.py: RETRY_MAX_COUNTDOWN), then the message is dead-lettered. The
# defaults (base 10 s, 13 retries) wait about 2.8 h in all, as Treeherder (10 s, 10 uncapped retries).
INGEST_MAX_RETRIES = INGEST.max_retries
INGEST_RETRY_BASE_SECONDS = INGEST.retry_base_seconds
INGEST_TASK_SOFT_TIME_LIMIT = INGEST.task_soft_time_limit
INGEST_TASK_TIME_LIMIT = INGEST.task_time_limit
INGEST_FETCH_THREADS = INGEST.fetch_threads
INGEST_DEFINITION_LRU_SIZE = INGEST.definition_lru_size
INGEST_DEFINITION_CACHE_TTL = INGEST.definition_cache_ttl
# Reference-data ids kept in each worker process (an LRU; a tenth of it is preloaded per table).
INGEST_REFDATA_LRU_SIZE = INGEST.refdata_lru_size
# Push ids by (repository, revision) kept in each worker process (an LRU).
INGEST_PUSH_ID_LRU_SIZE = INGEST.push_id_lru_size
INGEST_REPOSITORY_CACHE_SECONDS = INGEST.repository_cache_seconds
METRICS_REDIS_URL = CONFIG.redis_url


def _pulse_user(url: str) -> str:
    return unquote(urlsplit(url).username or "") if url else ""


# Queues are named queue/<user>/<name>, as Pulse requires of its users.
PULSE_QUEUE_OWNER = CONFIG.pulse_queue_user or _pulse_user(CONFIG.pulse_url) or "treeherder"
