"""bench/logs: error-line extraction speed, bug-suggestion cost, completed-to-ERRORS_READY latency.

1. **Extraction**: a generated log of at least 200 MB (Treeherder's 14 sample logs, real passing
   and failing output, repeated; gzip'd as Taskcluster serves it) through `ErrorLineParser` with
   the 40-line cap lifted, so every line is scanned: MB/s of uncompressed log per core (CPU time of
   this single-threaded process), parse alone and inflate + parse. Beside it, Treeherder's own
   `ErrorParser` on the sample logs once (the same error lines must come out), if a Treeherder checkout is found
   (TREEHERDER_SRC, default /work/.mirror/mozilla+treeherder/repo, a bare git repository or a work
   tree; its `log_parser/parsers.py` is loaded at run time, with Django settings stubbed and the
   500-character cut of its ArtifactBuilderBase applied).
2. **Suggestions**: 100,000 generated bugs in a scratch MariaDB database (`<DATABASE_URL name>_bench`),
   indexed by the trigram table, then 1,000 generated error lines (a mix of paths that match bugs,
   that match none, and crash lines) in batches of 40 (one job's worth), as the GraphQL loader asks:
   ms per line. Beside it the index-free query Treeherder's search would need on MariaDB (LIKE
   '%term%' over the summaries: a table scan), per term; and whether MariaDB accepts a FULLTEXT
   ngram index (it does not: that parser is MySQL's).
3. **Latency**: Daphne, the relay and a Celery worker on the log-parser queues on the scratch
   database; a WebSocket client subscribed to jobFailures; for each of 40 failed jobs, its
   completion is committed (the COMPLETED event) and its parse task enqueued as ingestion does; the
   1 MB log is served by a local HTTP server. Time from the commit to the ERRORS_READY message at the
   client, p50/p99. (Pulse-to-commit is bench/ingest's figure.)
"""

from __future__ import annotations

import gzip
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PY = sys.executable

from bench.support.database import scratch_database_url, setup_database  # noqa: E402

LOGS = ROOT / "sample_data" / "logs"
TARGET_BYTES = 200 * 1024 * 1024


def sample_logs() -> bytes:
    """Every sample raw log once, end to end."""
    pieces = [gzip.decompress(p.read_bytes()) for p in sorted(LOGS.glob("*.log.gz"))]
    return b"".join(piece if piece.endswith(b"\n") else piece + b"\n" for piece in pieces)


def generated_log() -> bytes:
    one = sample_logs()
    return one * (TARGET_BYTES // len(one) + 1)


def cpu(fn):  # type: ignore[no-untyped-def]
    start = time.process_time()
    result = fn()
    return result, time.process_time() - start


def bench_extraction() -> None:
    from apps.failures.parsing.errorlines import ErrorLineParser
    from apps.failures.parsing.logstream import inflate

    log = generated_log()
    mb = len(log) / 1e6
    lines = log.count(b"\n")

    def parse(chunks) -> int:  # type: ignore[no-untyped-def]
        parser = ErrorLineParser(max_lines=10**9)
        for chunk in chunks:
            parser.feed(chunk)
        return len(parser.close())

    step = 1 << 20
    found, seconds = cpu(lambda: parse(log[i : i + step] for i in range(0, len(log), step)))
    print(
        f"extraction: {mb:.0f} MB, {lines:,} lines, {found:,} error lines (cap lifted): "
        f"{mb / seconds:.0f} MB/s per core (parse only)"
    )
    compressed = gzip.compress(log, compresslevel=6)
    _, seconds = cpu(lambda: parse(inflate([compressed[i : i + 65536] for i in range(0, len(compressed), 65536)])))
    print(
        f"extraction: {len(compressed) / 1e6:.0f} MB gzip -> {mb:.0f} MB: {mb / seconds:.0f} MB/s per core "
        f"(inflate in Treeherder's 512-byte reads + parse)"
    )
    one = sample_logs()
    parser = ErrorLineParser(max_lines=10**9)
    found, seconds = cpu(lambda: (parser.feed(one), len(parser.close()))[1])
    print(
        f"extraction: the {len(one) / 1e6:.0f} MB of sample logs once: {found:,} error lines, "
        f"{len(one) / 1e6 / seconds:.0f} MB/s per core"
    )
    treeherder(one)


def _treeherder_parsers() -> types.ModuleType | None:
    src = Path(os.environ.get("TREEHERDER_SRC", "/work/.mirror/mozilla+treeherder/repo"))
    path = "treeherder/log_parser/parsers.py"
    if (src / path).exists():
        code = (src / path).read_text()
    elif (src / "HEAD").exists():
        done = subprocess.run(["git", "--git-dir", str(src), "show", f"HEAD:{path}"], capture_output=True, check=False)
        if done.returncode:
            return None
        code = done.stdout.decode()
    else:
        return None
    # Stubs for what parsers.py imports: Django settings (MAX_ERROR_LINES) and the perf validator.
    utils = types.ModuleType("treeherder.log_parser.utils")
    utils.validate_perf_data = lambda data: None  # type: ignore[attr-defined]
    for name in ("treeherder", "treeherder.log_parser"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["treeherder.log_parser.utils"] = utils
    module = types.ModuleType("treeherder_parsers")
    exec(compile(code, f"{src}/{path}", "exec"), module.__dict__)  # noqa: S102 - Treeherder's own code, for comparison
    return module


def treeherder(log: bytes) -> None:
    from django.conf import settings

    module = _treeherder_parsers()
    if module is None:
        print("extraction (Treeherder ErrorParser): skipped, no Treeherder checkout (set TREEHERDER_SRC)")
        return
    settings.MAX_ERROR_LINES = 10**9

    def run() -> int:
        parser = module.ErrorParser()
        for number, raw in enumerate(log.splitlines()):  # what iter_lines yields; its decode and 500-char cut
            line = raw.decode("utf-8", "replace")
            if "PERFHERDER_DATA" not in line:
                line = line[:500]
            parser.parse_line(line, number)
        return len(parser.artifact)

    found, seconds = cpu(run)
    mb = len(log) / 1e6
    print(
        f"extraction (Treeherder's ErrorParser, per line, the same {mb:.0f} MB): {found:,} error lines, "
        f"{mb / seconds:.1f} MB/s per core"
    )


WORDS = ("dom", "layout", "browser", "devtools", "netwerk", "toolkit", "gfx", "js", "widget", "media", "editor")
KINDS = ("test", "browser", "test_bug", "file", "helper")


def test_path(rng: random.Random, n: int) -> str:
    parts = [rng.choice(WORDS) for _ in range(rng.randint(2, 4))]
    return "/".join(parts) + f"/{rng.choice(KINDS)}_{n}.{rng.choice(('html', 'js', 'xhtml', 'py'))}"


def bench_suggestions(env: dict[str, str]) -> None:
    from django.db import connection

    from apps.failures.models import Bugscache
    from apps.failures.services.bugs import bugscache_index_refresh
    from apps.failures.suggestions import bug_suggestions_for_lines

    rng = random.Random(11)
    now = time.time()
    import datetime

    modified = datetime.datetime.fromtimestamp(now, datetime.UTC)
    started = time.perf_counter()
    bugs = []
    for n in range(100_000):
        kind = n % 10
        if kind < 7:
            summary = f"Intermittent {test_path(rng, n)} | single tracking bug"
        elif kind < 9:
            summary = f"Intermittent {test_path(rng, n)} | Test timed out after {rng.randint(10, 999)} seconds"
        else:
            summary = f"Intermittent application crashed [@ mozilla::dom::Thing{n}::Run]"
        bugs.append(
            Bugscache(
                bugzilla_id=1_000_000 + n,
                status="NEW",
                resolution="" if n % 4 else "FIXED",
                summary=summary,
                modified=modified,
                keywords="intermittent-failure",
            )
        )
    Bugscache.objects.bulk_create(bugs, batch_size=5000)
    rows = bugscache_index_refresh(Bugscache.objects.values_list("id", flat=True))
    print(
        f"suggestions: 100,000 bugs stored and indexed ({rows:,} trigram rows) in {time.perf_counter() - started:.0f} s"
    )

    lines = []
    for i in range(1000):
        n = rng.randrange(100_000)
        kind = i % 5
        if kind in (0, 1, 2):  # a test that has a bug (reuse a stored summary's path)
            path = (
                Bugscache.objects.filter(bugzilla_id=1_000_000 + (n - n % 10 + rng.randint(0, 6)))
                .values_list("summary", flat=True)[0]
                .split(" ")[1]
            )
            lines.append(f"12:00:00     INFO - TEST-UNEXPECTED-FAIL | {path} | assertion {i} failed")
        elif kind == 3:  # a test nobody filed a bug for
            lines.append(f"TEST-UNEXPECTED-TIMEOUT | {test_path(rng, 200_000 + i)} | application timed out")
        else:  # a crash
            lines.append(f"PROCESS-CRASH | application crashed [@ mozilla::dom::Thing{n}::Run] | {test_path(rng, i)}")
    connection.close()
    timings = []
    hits = 0
    for start in range(0, len(lines), 40):
        batch = lines[start : start + 40]
        t0 = time.perf_counter()
        found = bug_suggestions_for_lines(batch)
        timings.append(time.perf_counter() - t0)
        hits += sum(1 for s in found.values() if s.bugs)
    total = sum(timings)
    print(
        f"suggestions: 1,000 error lines against 100,000 bugs, 40 a batch: {1000 * total / 1000:.2f} ms per line "
        f"(batch p50 {1000 * statistics.median(timings):.0f} ms, max {1000 * max(timings):.0f} ms); "
        f"{hits} lines with suggestions"
    )
    t0 = time.perf_counter()
    bug_suggestions_for_lines(lines)
    print(f"suggestions: the same 1,000 lines in one batch: {(time.perf_counter() - t0):.2f} ms per line")

    # The index-free alternative: LIKE '%term%' on the summaries (what icontains becomes), per term.
    terms = [line.split(" | ")[1].rsplit("/", 1)[-1] for line in lines[:50] if " | " in line]
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        for term in terms:
            cursor.execute("SELECT id FROM bugscache WHERE LOWER(summary) LIKE %s LIMIT 50", [f"%{term.lower()}%"])
            cursor.fetchall()
        scan = (time.perf_counter() - t0) / len(terms)
        cursor.execute("EXPLAIN SELECT id FROM bugscache WHERE LOWER(summary) LIKE %s", ["%x%"])
        plan = cursor.fetchall()
        try:
            cursor.execute("ALTER TABLE bugscache ADD FULLTEXT INDEX bench_ngram (summary) WITH PARSER ngram")
            ngram = "accepted"
        except Exception as exc:  # noqa: BLE001
            ngram = f"refused ({str(exc)[:70]})"
    print(
        f"suggestions: without the index, LIKE '%term%' over 100,000 summaries: {1000 * scan:.1f} ms per term "
        f"(a table scan: EXPLAIN type={plan[0][3]}, rows={plan[0][8]}); FULLTEXT ngram: {ngram}"
    )


def main() -> None:
    env = {**os.environ, "DATABASE_URL": scratch_database_url("bench"), "DJANGO_SETTINGS_MODULE": "config.settings"}
    setup_database(env)
    os.environ.update(env)
    import django

    django.setup()
    only = set(sys.argv[1:]) or {"extraction", "suggestions", "latency"}
    if "extraction" in only:
        bench_extraction()
    if "suggestions" in only:
        bench_suggestions(env)
    if "latency" in only:
        from bench.logs.latency import bench_latency

        bench_latency(env, Path(tempfile.mkdtemp(prefix="bench-logs-")))


if __name__ == "__main__":
    main()
