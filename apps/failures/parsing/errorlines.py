"""Raw log -> error lines, with Treeherder's rules (domain spec §3.2), as a streaming parser.

Treeherder runs every line of the log through a chain of regular expressions in Python, one line at
a time. That costs a few microseconds a line, most of it for lines that cannot match. This parser
gets the same answer another way:

1. **Prefilter** (C speed): every rule that accepts a line needs one of a few byte strings in it
   (`TRIGGERS`: "Error:", "fatal error", "TEST-UNEXPECTED-", ": ***"...). One RE2 scan (google-re2,
   a DFA) finds them in a whole chunk at a time, so the lines that contain none of them are never
   looked at one by one. (Python's `re` with the same alternation scans about 20 MB/s; 25 passes of
   `bytes.find` about 40-90 MB/s; RE2 over 200 MB/s.)
2. **Exact check** (Python) on the few candidate lines only: decode UTF-8 (bad bytes replaced),
   cut to 500 characters (not PERFHERDER_DATA lines), strip the run-task `[name 20YY-...] ` prefix
   once a `[taskcluster ` line has been seen, then the exclude and accept rules in Treeherder's
   order. A prefilter hit is only a candidate: the exact check decides.
3. Line numbers (0-based, as Treeherder's) are counted with `bytes.count` between candidates. A
   line ends at `\\n`, `\\r\\n` or a lone `\\r` (what `bytes.splitlines`, and so Treeherder's
   `iter_lines`, splits on); Unicode line separators inside a line do not end it.

Stored lines are right-stripped; a line equal to the previously stored one is skipped; at most
`max_lines` (40) are kept, after which the parser reports `done` and the caller may stop reading.
The expressions below are written from the rules of the spec, not copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import re2

MAX_ERROR_LINES = 40
MAX_LINE_LENGTH = 500

# Each accept rule below needs one of these in the line (case-sensitive), so a line with none of
# them cannot be an error line. One RE2 pass (a DFA, linear time) finds them in a whole chunk.
# Keep this in step with the rules: tests/apps/failures/test_errorlines.py checks one example of
# every accept rule against it.
TRIGGERS: tuple[bytes, ...] = (
    rb"Error:",  # FooError: , Automation Error:, [taskcluster] Error:
    rb"fatal error",
    rb" error\([0-9]*\):",
    rb":[0-9]+: error:",
    rb" error R?C[0-9]*:",
    rb":error\]",
    rb"ERROR",  # FATAL ERROR, REFTEST ERROR, "ERROR 404:", "HH:MM:SS  ERROR - "
    rb"TEST-UNEXPECTED-",
    rb"CRASH",  # Hit MOZ_CRASH, PROCESS-CRASH
    rb"Assertion fail",
    rb"ABORT:",
    rb"Sanitizer",  # SUMMARY: *Sanitizer, ThreadSanitizer: nested bug
    rb": \*\*\*",  # make[N]: ***, mozmake.exe: ***, bash.exe: ***
    rb"Exception: ",
    rb":exception\]",
    rb"timed out:",
    rb"wget: unable ",
    rb"exit code: 137",
    rb"LEAKING THE WORLD",
    rb"CRITICAL - ",
    rb"FATAL - ",
    rb"\[  FAILED  \] ",
    rb"remoteFailed:",
    rb"rm: cannot ",
    rb"abort:",
)
_PREFILTER = re2.compile(b"|".join(TRIGGERS))

# Accept: substrings anywhere in the (mozharness-prefix-stripped) line.
_ANYWHERE_LITERALS: tuple[str, ...] = (
    "TEST-UNEXPECTED-",
    "fatal error",
    "FATAL ERROR",
    "Hit MOZ_CRASH",
    "REFTEST ERROR",
    "PROCESS-CRASH",
    "Assertion fail",
    "###!!! ABORT:",
    "SUMMARY: AddressSanitizer",
    "SUMMARY: ThreadSanitizer",
    "SUMMARY: UndefinedBehaviorSanitizer",
    "ThreadSanitizer: nested bug",
    "Automation Error:",
    "command timed out:",
    "wget: unable ",
    "bash.exe: *** ",
    "Unsuccessful task run with exit code: 137",
    "YOU ARE LEAKING THE WORLD",
)
# Accept: at the start of the line.
_AT_START = re.compile(
    r"(?:g?make(?:\[[0-9]+\])?: \*\*\*"
    r"|[A-Za-z.]+Error: "
    r"|[A-Za-z.]*Exception: "
    r"|\[  FAILED  \] "
    r"|remoteFailed:"
    r"|rm: cannot "
    r"|abort:"
    r"|\[taskcluster\] Error:"
    r"|\[[\w.-]+:(?:error|exception)\])"
)
# Accept: patterns anywhere.
_ANYWHERE = re.compile(
    r" error\([0-9]*\):|:[0-9]+: error:| error R?C[0-9]*:|ERROR [45][0-9][0-9]:"
    r"|mozmake\.(?:exe|EXE)(?:\[[0-9]+\])?: \*\*\*"
)
# Exclude before anything else.
_EXCLUDE_FIRST = re.compile(
    r"TEST-(?:INFO|PASS) |A content process crashed and MOZ_CRASHREPORTER_SHUTDOWN is set, shutting down"
)
# Exclude, checked on the line without its mozharness prefix.
_EXCLUDE_TRIMMED = re.compile(
    r"I[ /](?:Gecko|TestRunner).*TEST-UNEXPECTED-"
    r"|Assertion failure$"
    r"|^TEST-UNEXPECTED-WARNING\b"
    r"|^TimeoutException: "
    r"|^ImportError: No module named pygtk$"
    r"|non-fatal error"
)
# A mozharness error prefix accepts the line outright.
_MOZHARNESS_ERROR = re.compile(r"[0-9]+:[0-9]+:[0-9]+ +(?:ERROR|CRITICAL|FATAL) - ")
_MOZHARNESS_OTHER = re.compile(r"[0-9]+:[0-9]+:[0-9]+ +(?:DEBUG|INFO|WARNING) - +")
# run-task's "[vcs 2016-09-09T17:45:02Z] " prefix; never "[taskcluster:error] ...".
_RUN_TASK_PREFIX = re.compile(r"\[(?!taskcluster:)[^\]]*20[0-9]{2}-[^\]]+\]\s")
_TASKCLUSTER_START = b"[taskcluster "


def is_error_line(line: str) -> bool:
    """Treeherder's decision for one line (already cut and stripped of a run-task prefix)."""
    if _EXCLUDE_FIRST.search(line):
        return False
    if _MOZHARNESS_ERROR.match(line):
        return True
    trimmed = _MOZHARNESS_OTHER.sub("", line, count=1).rstrip()
    if _EXCLUDE_TRIMMED.search(trimmed):
        return False
    for literal in _ANYWHERE_LITERALS:
        if literal in trimmed:
            return True
    return bool(_AT_START.match(trimmed) or _ANYWHERE.search(trimmed))


@dataclass(frozen=True, slots=True)
class ErrorLine:
    line_number: int  # 0-based, as Treeherder's
    line: str


class ErrorLineParser:
    """Feed the raw (decompressed) log in chunks of any size; read `errors` at the end.

    `feed()` keeps at most the last incomplete line between calls, so memory stays bounded by the
    chunk size plus one line.
    """

    # A log of lone-\\r line ends (no \\n at all) is cut at \\r once this much is pending.
    _MAX_PENDING = 1 << 20

    def __init__(self, max_lines: int = MAX_ERROR_LINES) -> None:
        self.max_lines = max_lines
        self.errors: list[ErrorLine] = []
        self.bytes_read = 0
        self._pending = b""
        self._line_base = 0  # line number of the first line of the pending data
        self._taskcluster = False
        self._last = ""

    @property
    def done(self) -> bool:
        return len(self.errors) >= self.max_lines

    def feed(self, chunk: bytes) -> None:
        if not chunk or self.done:
            self.bytes_read += len(chunk)
            return
        self.bytes_read += len(chunk)
        data = self._pending + chunk if self._pending else chunk
        # Only complete lines are scanned. Cutting after the last \\n never splits a \\r\\n pair.
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) > self._MAX_PENDING:
            cut = data.rfind(b"\r", 0, len(data) - 1) + 1  # a final \\r may be half of \\r\\n
        if cut == 0:
            self._pending = data
            return
        region = data[:cut]
        self._pending = data[cut:]
        self._scan(region)
        self._line_base += _count_line_ends(region, 0, len(region))

    def close(self) -> list[ErrorLine]:
        """The end of the log: the last line (without a line end) is scanned too."""
        if self._pending and not self.done:
            self._scan(self._pending)
        self._pending = b""
        return self.errors

    def _scan(self, region: bytes) -> None:
        has_cr = b"\r" in region
        tc_from = -1 if self._taskcluster else _find_line_start(region, _TASKCLUSTER_START)
        candidates = (match.start() for match in _PREFILTER.finditer(region))
        lineno = self._line_base
        counted_to = 0
        next_free = 0  # candidates before this offset belong to a line already checked
        for pos in candidates:
            if pos < next_free:
                continue
            start = region.rfind(b"\n", 0, pos) + 1
            end = region.find(b"\n", pos)
            if end < 0:
                end = len(region)
            if has_cr:
                start = max(start, region.rfind(b"\r", 0, pos) + 1)
                cr = region.find(b"\r", pos, end)
                if cr >= 0:
                    end = cr
            next_free = end
            lineno += _count_line_ends(region, counted_to, start)
            counted_to = start
            if not self._taskcluster and 0 <= tc_from <= start:
                self._taskcluster = True
            self._check(region[start:end], lineno)
            if self.done:
                return
        if not self._taskcluster and tc_from >= 0:
            self._taskcluster = True

    def _check(self, raw: bytes, lineno: int) -> None:
        line = raw.decode("utf-8", "replace")
        if "PERFHERDER_DATA" not in line:
            line = line[:MAX_LINE_LENGTH]
        if self._taskcluster:
            line = _RUN_TASK_PREFIX.sub("", line, count=1) if line.startswith("[") else line
        if not is_error_line(line):
            return
        stored = line.rstrip()
        if self.errors and self._last == stored:
            return
        self._last = stored
        self.errors.append(ErrorLine(lineno, stored))


def _find_line_start(data: bytes, prefix: bytes) -> int:
    """Offset of the first line of `data` that starts with `prefix`, or -1."""
    if data.startswith(prefix):
        return 0
    found = [p + 1 for p in (data.find(b"\n" + prefix), data.find(b"\r" + prefix)) if p >= 0]
    return min(found) if found else -1


def _count_line_ends(data: bytes, start: int, end: int) -> int:
    """Line ends in data[start:end]: \\n, \\r\\n (one) and lone \\r."""
    lf = data.count(b"\n", start, end)
    cr = data.count(b"\r", start, end)
    if not cr:
        return lf
    return lf + cr - data.count(b"\r\n", start, end)


def extract_error_lines(chunks: Iterable[bytes], max_lines: int = MAX_ERROR_LINES) -> list[ErrorLine]:
    """All of a log's error lines (the first `max_lines`), from its decompressed chunks."""
    parser = ErrorLineParser(max_lines)
    for chunk in chunks:
        parser.feed(chunk)
        if parser.done:
            break
    return parser.close()
