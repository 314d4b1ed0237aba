"""The soak's figures and its bounds (bench/README.md gives the reasoning for each bound).

Expected deliveries come from the outbox table: every numbered event after the start cursor that
a subscription's filter accepts (the server's own filter classes, schema/live/filters.py: the
soak checks delivery, not filter semantics), against the cursors each subscriber recorded.
"""

from __future__ import annotations

import datetime
import itertools
import math
import statistics
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.soak.subscribers import read_output

MIB = 2**20
# Bounds. Resources compare the last window with the first after warm-up (window 1).
RSS_GROWTH_MIB = 32.0  # per process tree, mean RSS
FDS_GROWTH = 16  # per process tree, the window's maximum
CONNECTIONS_GROWTH = 16
LATENCY_P99_FACTOR = 2.0  # last window's p99 <= factor x the first's ...
LATENCY_P99_SLACK = 0.25  # ... or the first's + this many seconds, whichever is larger
PUBLISH_LAG_P99 = 1.0  # seconds behind schedule: above it the rate was not really offered


def read_receipts(clients: list[Any]) -> list[tuple[dict[str, Any], dict[str, Any], array[int], array[float]]]:
    """(spec, header, cursors, receive times) per subscriber."""
    result = []
    for client in clients:
        for spec, (header, cursors, received) in zip(client.specs, read_output(str(client.output)), strict=True):
            result.append((spec, header, cursors, received))
    return result


def percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _span(w: int, window: float) -> str:
    if window >= 60:
        return f"{w * window / 60:.0f}-{(w + 1) * window / 60:.0f} min"
    return f"{w * window:.0f}-{(w + 1) * window:.0f} s"


def _timestamp(value: datetime.datetime) -> float:
    return (value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value).timestamp()


@dataclass
class Check:
    name: str
    value: str
    bound: str
    ok: bool


@dataclass
class Result:
    lines: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks)


def _spec_key(spec: dict[str, Any]) -> str:
    return f"{spec['kind']}:{sorted((spec['filter'] or {}).items())}"


def _matchers(specs: list[dict[str, Any]]) -> dict[str, Any]:
    from schema.live.filters import FAILED_RESULTS, FailureFilter, JobFilter

    matchers: dict[str, Any] = {}
    for spec in specs:
        key = _spec_key(spec)
        if key in matchers:
            continue
        if spec["kind"] == "failures":  # jobFailures' defaults
            ff = FailureFilter(tiers=frozenset({1, 2}), results=frozenset(FAILED_RESULTS), unclassified_only=True)
            matchers[key] = lambda payload, ff=ff: ff.kind(payload) is not None
        else:
            given = spec["filter"]
            jf = JobFilter(
                results=frozenset(r.lower() for r in given["results"]) if "results" in given else None,
                platforms=frozenset(given["platforms"]) if "platforms" in given else None,
                symbols=frozenset(given["symbols"]) if "symbols" in given else None,
            )
            matchers[key] = jf.accepts
    return matchers


def analyse(
    *,
    t0: float,
    duration: float,
    window: float,
    start_cursor: int,
    end_cursor: int,
    specs: list[dict[str, Any]],
    receipts: list[tuple[dict[str, Any], dict[str, Any], array[int], array[float]]],
    publisher: Any,
    classifier: list[tuple[float, float, str]],
    samples: dict[str, list[Any]],
    exited: dict[str, int],
) -> Result:
    from django.db import close_old_connections

    from apps.jobs.models import Job
    from apps.live.models import Event

    close_old_connections()
    result = Result()
    out = result.lines.append
    windows = max(2, math.ceil(duration / window))

    # The outbox after the start cursor: what each distinct subscription should have received,
    # and per event its write time and the publish time of the Pulse message behind it.
    matchers = _matchers(specs)
    expected: dict[str, array[int]] = {key: array("q") for key in matchers}
    created: dict[int, float] = {}
    published_at: dict[int, float] = {}
    pulse_events: Counter[tuple[str, str]] = Counter()
    head = start_cursor
    rows = (
        Event.objects.filter(seq__gt=start_cursor, seq__lte=end_cursor)
        .order_by("seq")
        .values_list("seq", "type", "payload", "created")
        .iterator(chunk_size=5000)
    )
    events = 0
    for seq, kind, payload, when in rows:
        events += 1
        head = max(head, seq)
        created[seq] = _timestamp(when)
        if kind != "job.changed":
            continue
        if {"created", "state"} & set(payload["changed"]):
            key = (payload["guid"], payload["state"])
            pulse_events[key] += 1
            if key in publisher.published:
                published_at[seq] = publisher.published[key]
        for spec_key, accepts in matchers.items():
            if accepts(payload):
                expected[spec_key].append(seq)

    # Delivery: every subscriber against its subscription's expected cursors.
    lost = duplicated = unexpected = out_of_order = reconnects = errors = received_total = 0
    expected_total = 0
    closes: Counter[str] = Counter()
    worst: list[str] = []
    e2e: dict[int, array[float]] = defaultdict(lambda: array("d"))
    commit: dict[int, array[float]] = defaultdict(lambda: array("d"))
    expected_sets = {key: set(seqs) for key, seqs in expected.items()}
    for spec, header, cursors, received in receipts:
        want = expected_sets[_spec_key(spec)]
        got = {seq for seq in cursors if seq <= end_cursor}
        expected_total += len(want)
        received_total += len(cursors)
        missing = len(want - got)
        lost += missing
        duplicated += sum(1 for seq in cursors if seq <= end_cursor) - len(got)
        unexpected += len(got - want)
        out_of_order += sum(1 for a, b in itertools.pairwise(cursors) if b <= a)
        reconnects += header["reconnects"]
        errors += header["error_count"]
        closes.update(header["closes"])
        if (missing or header["error_count"]) and len(worst) < 5:
            worst.append(
                f"subscriber {header['index']} ({_spec_key(spec)}): {missing} lost of {len(want)}, "
                f"errors {header['errors'][:2]}, closes {header['closes']}"
            )
        for seq, at in zip(cursors, received, strict=True):
            if seq not in created:
                continue
            w = min(windows - 1, max(0, int((created[seq] - t0) // window)))
            commit[w].append(at - created[seq])
            if seq in published_at:
                e2e[w].append(at - published_at[seq])

    # Ingestion: every published task message stored once (an event with its state).
    published = set(publisher.published)
    stored = sum(1 for key in published if pulse_events.get(key))
    stored_twice = sum(1 for key in published if pulse_events.get(key, 0) > 1)
    jobs = Job.objects.count()
    elapsed = max(1e-9, publisher.stopped - publisher.started)
    lag = sorted(publisher.lag)

    out(
        f"stream: {publisher.messages} messages published in {elapsed:.0f} s ({publisher.messages / elapsed:.1f}/s: "
        f"{len(published)} task messages, {publisher.pushes} pushes); publisher behind schedule p50 "
        f"{percentile(lag, 50) * 1000:.0f} ms, p99 {percentile(lag, 99) * 1000:.0f} ms, "
        f"max {lag[-1] * 1000 if lag else 0:.0f} ms"
    )
    out(
        f"stored: {stored} of {len(published)} task messages have their event ({stored_twice} twice); {jobs} jobs; "
        f"{events} outbox events after the start cursor (head {head})"
    )
    out(
        f"delivery: {received_total} messages to {len(receipts)} subscribers, {expected_total} expected; lost {lost}, "
        f"duplicated {duplicated}, unexpected {unexpected}, out of order {out_of_order}; reconnects {reconnects} "
        f"(closes {dict(closes)}), errors {errors}"
    )
    for line in worst:
        out("  " + line)
    ok_classified = sum(1 for _, _, outcome in classifier if outcome == "JobsClassified")
    times = sorted(s for _, s, _ in classifier)
    out(
        f"classifications: {ok_classified} of {len(classifier)} JobsClassified, HTTP p50 "
        f"{percentile(times, 50) * 1000:.0f} ms, max {times[-1] * 1000 if times else 0:.0f} ms; other outcomes: "
        f"{Counter(o for _, _, o in classifier if o != 'JobsClassified').most_common(3)}"
    )

    out("")
    out("latency per window of event write time (s): Pulse publish -> subscriber | outbox write -> subscriber")
    out("| window | messages | publish p50 | p95 | p99 | write p50 | p95 | p99 |")
    out("|---|---|---|---|---|---|---|---|")
    p99s: dict[int, float] = {}
    for w in range(windows):
        pe, ce = sorted(e2e[w]), sorted(commit[w])
        p99s[w] = percentile(pe, 99)
        label = _span(w, window) + (" (warm-up)" if w == 0 else "")
        out(
            f"| {label} | {len(ce)} | {percentile(pe, 50):.3f} | {percentile(pe, 95):.3f} | {percentile(pe, 99):.3f} "
            f"| {percentile(ce, 50):.3f} | {percentile(ce, 95):.3f} | {percentile(ce, 99):.3f} |"
        )

    out("")
    out(
        "resources per process tree, per window: mean RSS (MiB) / max fds / max inet connections; CPU: share of"
        " one core over the run"
    )
    out("| process | " + " | ".join(_span(w, window) for w in range(windows)) + " | RSS growth w1 -> last | CPU |")
    out("|---|" + "---|" * windows + "---|---|")
    growth: dict[str, tuple[float, int, int]] = {}
    for name, series in samples.items():
        by_window: dict[int, list[Any]] = defaultdict(list)
        for s in series:
            by_window[min(windows - 1, max(0, int((s.at - t0) // window)))].append(s)
        cells = []
        for w in range(windows):
            ss = by_window.get(w, [])
            rss = statistics.mean(s.rss for s in ss) / MIB if ss else 0.0
            cells.append(f"{rss:.0f} / {max(s.fds for s in ss)} / {max(s.connections for s in ss)}" if ss else "-")
        first, last = by_window.get(1, []), by_window.get(windows - 1, [])
        if first and last:
            growth[name] = (
                (statistics.mean(s.rss for s in last) - statistics.mean(s.rss for s in first)) / MIB,
                max(s.fds for s in last) - max(s.fds for s in first),
                max(s.connections for s in last) - max(s.connections for s in first),
            )
        rss_growth = f"{growth[name][0]:+.1f} MiB" if name in growth else "-"
        busy = (series[-1].cpu - series[0].cpu) / max(1e-9, series[-1].at - series[0].at) if len(series) > 1 else 0.0
        out(f"| {name} | " + " | ".join(cells) + f" | {rss_growth} | {busy * 100:.0f}% |")

    check = result.checks.append
    check(Check("lost events", str(lost), "0", lost == 0))
    check(Check("duplicated events", str(duplicated), "0", duplicated == 0))
    check(
        Check(
            "unexpected or out-of-order cursors", f"{unexpected} / {out_of_order}", "0", unexpected + out_of_order == 0
        )
    )
    check(Check("subscriber reconnects / errors", f"{reconnects} / {errors}", "0", reconnects + errors == 0))
    check(Check("task messages stored", f"{stored} / {len(published)}", "all", stored == len(published)))
    check(Check("task messages stored twice", str(stored_twice), "0", stored_twice == 0))
    check(
        Check(
            "publisher behind schedule, p99",
            f"{percentile(lag, 99):.3f} s",
            f"<= {PUBLISH_LAG_P99} s",
            bool(lag) and percentile(lag, 99) <= PUBLISH_LAG_P99,
        )
    )
    check(Check("classifications", f"{ok_classified} / {len(classifier)}", "all", ok_classified == len(classifier) > 0))
    check(Check("processes alive at the end", ", ".join(exited) or "all", "all", not exited))
    base, last_p99 = p99s.get(1, math.nan), p99s.get(windows - 1, math.nan)
    allowed = max(LATENCY_P99_FACTOR * base, base + LATENCY_P99_SLACK)
    check(
        Check(
            "publish -> subscriber p99, last window vs w1",
            f"{last_p99:.3f} s vs {base:.3f} s",
            f"<= {allowed:.3f} s",
            last_p99 <= allowed,
        )
    )
    for name, (rss, fds, conns) in growth.items():
        if name == "subscribers":  # the load generator keeps every receipt: it grows by design
            continue
        check(Check(f"{name}: RSS growth", f"{rss:+.1f} MiB", f"<= {RSS_GROWTH_MIB:g} MiB", rss <= RSS_GROWTH_MIB))
        check(
            Check(
                f"{name}: fds / connections growth",
                f"{fds:+d} / {conns:+d}",
                f"<= {FDS_GROWTH} / {CONNECTIONS_GROWTH}",
                fds <= FDS_GROWTH and conns <= CONNECTIONS_GROWTH,
            )
        )
    return result


def print_report(result: Result) -> None:
    for line in result.lines:
        print(line)
    print("")
    print("| check | value | bound | |")
    print("|---|---|---|---|")
    for c in result.checks:
        print(f"| {c.name} | {c.value} | {c.bound} | {'ok' if c.ok else 'BROKEN'} |")
    print("soak: " + ("every bound held" if result.passed else "BOUNDS BROKEN"), flush=True)


def print_memory_growth(directory: Path, top: int = 15) -> None:
    """SOAK_TRACEMALLOC=1: the web process's allocation sites that grew most between the snapshot
    at the end of warm-up and the one when the stream stopped."""
    import tracemalloc

    snaps = sorted(directory.glob("snap*.pickle"))
    if len(snaps) < 2:
        print(f"tracemalloc: {len(snaps)} snapshot(s) in {directory}, need two")
        return
    first, last = tracemalloc.Snapshot.load(str(snaps[0])), tracemalloc.Snapshot.load(str(snaps[-1]))
    print(f"\nweb process, traced memory growth (warm-up end -> stream end), top {top} by traceback:")
    for stat in last.compare_to(first, "traceback")[:top]:
        print(f"  {stat.size_diff / 1024:+9.1f} KiB  {stat.count_diff:+7d} blocks")
        for line in stat.traceback.format()[-8:]:
            print(f"      {line}")
