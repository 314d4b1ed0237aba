"""Error-line extraction: golden against Treeherder's own output, and each rule of §3.2 on its own."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from apps.failures.parsing.errorlines import _PREFILTER, ErrorLineParser, extract_error_lines, is_error_line
from apps.failures.parsing.logstream import inflate

LOGS = Path(__file__).resolve().parents[3] / "sample_data" / "logs"
GOLDEN = sorted(p.name.removesuffix(".logview.json") for p in LOGS.glob("*.logview.json"))


@pytest.mark.parametrize("name", GOLDEN)
def test_each_sample_log_yields_treeherders_error_lines(name: str) -> None:
    expected = [(e["linenumber"], e["line"]) for e in json.loads((LOGS / f"{name}.logview.json").read_text())["errors"]]
    compressed = (LOGS / f"{name}.log.gz").read_bytes()
    # The compressed body arrives in pieces of any size; the parser sees chunks of any size.
    for piece, chunk_size in ((len(compressed), 1 << 20), (1000, 4096), (333, 37)):
        pieces = [compressed[i : i + piece] for i in range(0, len(compressed), piece)]
        got = extract_error_lines(inflate(pieces, chunk_size=chunk_size))
        assert [(e.line_number, e.line) for e in got] == expected, (name, piece, chunk_size)


def test_treeherders_phantom_line_after_a_split_crlf_is_reproduced_or_not() -> None:
    # wpt-multiple has a \r\n that Treeherder's 512-byte gzip reads split: one phantom line before
    # its first TEST-UNEXPECTED-FAIL, whose true 0-based line number is one less than Treeherder's.
    compressed = (LOGS / "wpt-multiple.log.gz").read_bytes()
    treeherder = extract_error_lines(inflate([compressed]))
    true_numbers = extract_error_lines(inflate([compressed], treeherder_line_numbers=False))
    assert [e.line for e in treeherder] == [e.line for e in true_numbers]
    first = next(i for i, e in enumerate(treeherder) if "TEST-UNEXPECTED-FAIL" in e.line)
    assert treeherder[first].line_number == true_numbers[first].line_number + 1 == 6932
    lines = gzip.decompress(compressed).splitlines()
    assert treeherder[first].line.encode() in lines[true_numbers[first].line_number]


# One example per accept rule (spec §3.2 step 6 and 8); each must pass the prefilter and the check.
ACCEPTED = [
    "12:34:56    ERROR - something broke",
    "12:34:56 CRITICAL - gone",
    "12:34:56    FATAL - gone",
    "TEST-UNEXPECTED-FAIL | a.html | b",
    "foo.cpp: fatal error C1001",
    "FATAL ERROR: out of memory",
    "Hit MOZ_CRASH(boom) at foo.cpp:12",
    "REFTEST ERROR something",
    "PROCESS-CRASH | x | application crashed",
    "Assertion failed: x > 0",
    "###!!! ABORT: bad things",
    "SUMMARY: AddressSanitizer: heap-use-after-free",
    "SUMMARY: ThreadSanitizer: data race",
    "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior",
    "ThreadSanitizer: nested bug in the same thread",
    "Automation Error: mozprocess timed out",
    "command timed out: 1200 seconds without output",
    "wget: unable to resolve host",
    "bash.exe: *** fork failed",
    "Unsuccessful task run with exit code: 137 completed in 10 seconds",
    "YOU ARE LEAKING THE WORLD (at least one JSRuntime and everything alive inside it, that is)",
    "make[2]: *** [all] Error 2",
    "gmake: *** [all] Error 2",
    "ValueError: bad value",
    "Exception: boom",
    "socket.TimeoutException: x",
    "[  FAILED  ] FooTest.Bar",
    "remoteFailed: [Failure instance]",
    "rm: cannot remove 'x'",
    "abort: repository not found",
    "[taskcluster] Error: exit status 1",
    "[taskcluster:error] Aborting task...",
    "[vcs:exception] boom",
    "foo.c(12) : error(42): nope",
    "foo.c:12: error: nope",
    "foo.rc : error RC2135: nope",
    "LINK : error C1234: nope",
    "ERROR 404: Not Found.",
    "mozmake.EXE[3]: *** [x] Error 1",
    "12:34:56     INFO - TEST-UNEXPECTED-FAIL | a.html | b",
]
REJECTED = [
    "TEST-PASS | a.html | TEST-UNEXPECTED-FAIL in the message",
    "TEST-INFO | Error: not really",
    "A content process crashed and MOZ_CRASHREPORTER_SHUTDOWN is set, shutting down; Error: x",
    "12:34:56     INFO - I/Gecko foo TEST-UNEXPECTED-FAIL | x",
    "Something Assertion failure",
    "TEST-UNEXPECTED-WARNING | leaks",
    "TimeoutException: waiting",
    "ImportError: No module named pygtk",
    "a non-fatal error: TEST-UNEXPECTED-FAIL",
    "12:34:56     INFO - all good",
    "an Error: in the middle",  # FooError: only at the start
]


@pytest.mark.parametrize("line", ACCEPTED)
def test_accept_rules(line: str) -> None:
    assert _PREFILTER.search(line.encode()), "every accept rule needs a prefilter trigger"
    assert is_error_line(line)
    assert [e.line for e in extract_error_lines([f"noise\n{line}\nmore noise\n".encode()])] == [line]


@pytest.mark.parametrize("line", REJECTED)
def test_exclude_rules(line: str) -> None:
    assert not is_error_line(line)
    assert extract_error_lines([f"{line}\n".encode()]) == []


def test_line_rules_cap_length_duplicates_and_taskcluster_prefix() -> None:
    long = "TEST-UNEXPECTED-FAIL | " + "x" * 600
    perf = "PERFHERDER_DATA: {} TEST-UNEXPECTED-FAIL " + "y" * 600
    late = "z" * 600 + " TEST-UNEXPECTED-FAIL"  # the trigger lies past the 500-character cut
    log = "\n".join(
        [
            "[vcs 2026-01-01T00:00:00Z] abort: not at the start: no prefix is stripped before a [taskcluster line",
            "[vcs 2026-01-01T00:00:00Z] TEST-UNEXPECTED-FAIL | kept with its prefix",
            "[taskcluster 2026-01-01 00:00:00.000Z] Worker Type",
            "[vcs 2026-01-01T00:00:01Z] abort: prefix stripped, so ^abort: matches",
            "[vcs 2026-01-01T00:00:01Z] abort: prefix stripped, so ^abort: matches",  # duplicate: skipped
            "[taskcluster:error] kept as it is",
            long,
            perf,
            late,
            "abort: final line without a line end",
        ]
    ).encode()
    got = extract_error_lines([log[i : i + 7] for i in range(0, len(log), 7)])
    assert [(e.line_number, e.line) for e in got] == [
        (1, "[vcs 2026-01-01T00:00:00Z] TEST-UNEXPECTED-FAIL | kept with its prefix"),
        (3, "abort: prefix stripped, so ^abort: matches"),
        (5, "[taskcluster:error] kept as it is"),
        (6, long[:500]),
        (7, perf),
        (9, "abort: final line without a line end"),
    ]


def test_at_most_40_lines_and_line_ends() -> None:
    log = b"".join(b"abort: %d\r\n" % i if i % 2 else b"abort: %d\r" % i for i in range(100))
    parser = ErrorLineParser()
    parser.feed(log)
    errors = parser.close()
    assert parser.done and len(errors) == 40
    assert [(e.line_number, e.line) for e in errors[:3]] == [(0, "abort: 0"), (1, "abort: 1"), (2, "abort: 2")]
    assert errors[-1].line_number == 39
    # A Unicode line separator or form feed does not end a line (bytes.splitlines semantics).
    assert [(e.line_number, e.line) for e in extract_error_lines(["ok\u2028abort: x\x0c y\nabort: z".encode()])] == [
        (1, "abort: z")
    ]
