"""mozlog errorsummary (JSON lines) -> failure lines and group results (domain spec §3.5).

Pure: takes the body's lines, returns what to store. The rules, as Treeherder's:

* Only the first 151 lines are read. With more than 150 (FAILURE_LINES_CUTOFF), the 151st becomes
  `action: truncated` (keeping its other keys): the marker that says the list was cut.
* `group_result` -> a group result: status OK 1, ERROR 2, SKIP 3, anything else 10 (unsupported);
  duration from milliseconds to whole seconds, 0 when it is not a number, negative, or over 2 hours;
  a group path with a backslash or over 255 characters is rejected (reported, not stored).
* `test_result`, `log`, `crash`, `test_status`, `test_end`, `truncated` -> a failure line with the
  mozlog keys. `test_groups` is skipped silently; other actions are reported and skipped.
* A line that is not a JSON object is reported and skipped (Treeherder would fail the whole log).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

logger = logging.getLogger(__name__)

FAILURE_LINES_CUTOFF = 150
MAX_GROUP_DURATION_MS = 7200 * 1000
GROUP_STATUS = {"OK": 1, "ERROR": 2, "SKIP": 3}
GROUP_STATUS_UNSUPPORTED = 10
FAILURE_LINE_ACTIONS = frozenset({"test_result", "log", "crash", "truncated", "test_status", "test_end"})
TEXT_KEYS: tuple[str, ...] = ("test", "subtest", "status", "expected", "message", "signature", "level", "stack")
TEXT_KEYS += ("stackwalk_stdout", "stackwalk_stderr")


@dataclass(frozen=True, slots=True)
class FailureLineData:
    action: str
    line: int
    fields: dict[str, str]  # the mozlog text keys present (None becomes "")
    known_intermittent: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GroupResult:
    name: str
    status: int
    duration: int  # seconds


@dataclass(slots=True)
class ErrorSummary:
    failure_lines: list[FailureLineData] = field(default_factory=list)
    groups: list[GroupResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what was skipped, and why
    truncated: bool = False


def group_duration_seconds(value: Any) -> int:
    # bool is an int subclass in Python, but not a number of milliseconds in JSON terms.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    ms = int(value)
    if ms < 0 or ms > MAX_GROUP_DURATION_MS:
        return 0
    return int(ms / 1000)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def parse_error_summary(lines: Iterable[bytes | str]) -> ErrorSummary:
    result = ErrorSummary()
    items: list[dict[str, Any]] = []
    for number, raw in enumerate(lines):
        if len(items) > FAILURE_LINES_CUTOFF:
            break
        if not raw.strip():
            continue
        try:
            item = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            result.problems.append(f"line {number + 1}: not JSON ({exc})")
            continue
        if not isinstance(item, dict):
            result.problems.append(f"line {number + 1}: not a JSON object")
            continue
        items.append(item)
    if len(items) > FAILURE_LINES_CUTOFF:
        items[-1]["action"] = "truncated"
        result.truncated = True
    for item in items:
        action = item.get("action")
        line = item.get("line")
        if action == "test_groups":
            continue
        if action == "group_result":
            _group(item, result)
            continue
        if action not in FAILURE_LINE_ACTIONS:
            result.problems.append(f"unsupported action {action!r}")
            continue
        if isinstance(line, bool) or not isinstance(line, int) or line < 0:
            result.problems.append(f"{action} without a line number")
            continue
        known = item.get("known_intermittent") or []
        result.failure_lines.append(
            FailureLineData(
                action=str(action),
                line=line,
                fields={key: _text(item[key]) for key in TEXT_KEYS if key in item},
                known_intermittent=[str(k) for k in known] if isinstance(known, list) else [],
            )
        )
    return result


def _group(item: dict[str, Any], result: ErrorSummary) -> None:
    name = item.get("group")
    if not isinstance(name, str) or not name:
        result.problems.append("group_result without a group")
        return
    if "\\" in name or len(name) > 255:
        result.problems.append(f"malformed group path {name[:80]!r} (backslash or over 255 characters)")
        return
    status = GROUP_STATUS.get(str(item.get("status")), GROUP_STATUS_UNSUPPORTED)
    result.groups.append(GroupResult(name, status, group_duration_seconds(item.get("duration", 0))))
