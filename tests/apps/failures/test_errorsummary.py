"""mozlog errorsummary -> failure lines and group results (spec §3.5), expected values from the rules."""

from __future__ import annotations

import json
from pathlib import Path

from apps.failures.parsing.errorsummary import group_duration_seconds, parse_error_summary

LOGS = Path(__file__).resolve().parents[3] / "sample_data" / "logs"


def _lines(name: str) -> list[bytes]:
    return (LOGS / name).read_bytes().splitlines()


def test_mochitest_errorsummary_lines_groups_and_durations() -> None:
    summary = parse_error_summary(_lines("mochitest-browser-chrome_errorsummary.log"))
    # 35 lines: test_groups (skipped silently), 5 test_result, 29 group_result.
    assert summary.problems == [] and not summary.truncated
    assert [(f.action, f.line, f.fields["status"], f.fields["expected"]) for f in summary.failure_lines] == [
        ("test_result", n, "FAIL", "PASS") for n in (4167, 4172, 4269, 4271, 4275)
    ]
    assert summary.failure_lines[0].fields["test"].startswith("toolkit/components/pictureinpicture/tests/")
    assert len(summary.groups) == 29
    errors = sorted(g.name for g in summary.groups if g.status == 2)
    assert errors == [
        "browser/components/preferences/tests/browser.ini",
        "dom/workers/test/browser.ini",
        "toolkit/components/pictureinpicture/tests/browser.ini",
    ]
    assert {g.status for g in summary.groups} == {1, 2}
    durations = {g.name: g.duration for g in summary.groups}
    assert durations["dom/workers/test/browser.ini"] == 3  # 3141 ms
    assert durations["caps/tests/mochitest/browser.ini"] == 0  # no duration
    assert durations["toolkit/components/pictureinpicture/tests/browser.ini"] == 0  # "duration": 0


def test_group_names_with_colons_and_long_durations() -> None:
    summary = parse_error_summary(_lines("xpcshell-errorsummary-with-colon.log"))
    assert [(g.name.split(":")[0].rsplit("/", 1)[1], g.status, g.duration) for g in summary.groups] == [
        ("xpcshell-e10s.ini", 1, 85),
        ("xpcshell.ini", 1, 108),
        ("xpcshell-e10s.ini", 1, 31),
        ("xpcshell.ini", 1, 27),
        ("xpcshell.ini", 1, 36),
    ]
    assert summary.failure_lines == []


def test_truncation_after_150_lines_keeps_the_151st_as_the_marker() -> None:
    base = json.loads(_lines("plain-chunked_errorsummary.log")[0])
    body = [json.dumps({**base, "line": n}).encode() for n in range(1, 201)]
    summary = parse_error_summary(body)
    assert summary.truncated
    assert len(summary.failure_lines) == 151
    assert {f.action for f in summary.failure_lines[:150]} == {"test_result"}
    last = summary.failure_lines[150]
    assert (last.action, last.line, last.fields["test"]) == ("truncated", 151, base["test"])
    assert summary.failure_lines[0].fields["message"] == ""  # null becomes empty
    # Exactly 150 lines: no marker.
    assert not parse_error_summary(body[:150]).truncated


def test_group_rules_and_bad_lines() -> None:
    body = [
        b'{"action": "group_result", "group": "a\\\\b.ini", "status": "OK", "line": 1}',
        json.dumps({"action": "group_result", "group": "x" * 256, "status": "OK", "line": 2}).encode(),
        b'{"action": "group_result", "group": "skip.ini", "status": "SKIP", "duration": -5, "line": 3}',
        b'{"action": "group_result", "group": "odd.ini", "status": "TIMEOUT", "duration": "10", "line": 4}',
        b'{"action": "group_result", "group": "long.ini", "status": "ERROR", "duration": 7200001, "line": 5}',
        b'{"action": "group_result", "group": "edge.ini", "status": "ERROR", "duration": 7200000, "line": 6}',
        b'{"action": "suite_start", "line": 7}',
        b"not json",
        b'{"action": "crash", "line": 8, "signature": "@ foo", "test": "t", "known_intermittent": ["FAIL"]}',
    ]
    summary = parse_error_summary(body)
    assert [(g.name, g.status, g.duration) for g in summary.groups] == [
        ("skip.ini", 3, 0),
        ("odd.ini", 10, 0),
        ("long.ini", 2, 0),
        ("edge.ini", 2, 7200),
    ]
    assert [(f.action, f.fields["signature"], f.known_intermittent) for f in summary.failure_lines] == [
        ("crash", "@ foo", ["FAIL"])
    ]
    assert len(summary.problems) == 4  # two malformed groups, one unknown action, one non-JSON line
    assert group_duration_seconds(True) == 0 and group_duration_seconds(1999.9) == 1
