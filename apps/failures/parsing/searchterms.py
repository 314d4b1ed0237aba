"""Error line -> cleaned line, counting key and Bugzilla search terms (domain spec §3.4 steps 1-3).

Pure string work, written from the spec's rules (the regular expressions are this project's own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEARCH_TERM_MAX = 100

_MOZHARNESS = re.compile(r"^[0-9]+:[0-9]+:[0-9]+ +(?:DEBUG|INFO|WARNING|ERROR|CRITICAL|FATAL) - ?")
_PROCESS_ID = re.compile(r"(?:PID [0-9]+|GECKO\([0-9]+\)) \| +")
_LEADING_PID = re.compile(r"^\[[0-9]+\] +")
_CPP_LINE = re.compile(r".cpp:[0-9]+")
_CHILD_THREAD = re.compile(r"\[Child [0-9]+, [a-zA-Z]+ Thread")
_PARENT_THREAD = re.compile(r"\[Parent [0-9]+, [a-zA-Z]+ Thread")

_COUNT_KEY_RULES = (
    (re.compile(r" [0-9]+\.[0-9]+ "), " X "),
    (re.compile(r" leaked [0-9]+ window(s)"), " leaked X window(s)"),
    (re.compile(r" [0-9]+ bytes leaked"), " X bytes leaked"),
    (re.compile(r" value=[0-9]+"), " value=*"),
    (re.compile(r"ot [0-9]+, expected [0-9]+"), "ot X, expected Y"),
    (re.compile(r" http://localhost:[0-9]+/"), " http://localhost:X/"),
    (re.compile(r" finished in [0-9]+ms"), " finished"),
)

_LEAK = re.compile(r"[0-9]+ bytes leaked \((.+)\)$|leak at (.+)$")
_CRASH = re.compile(r".+ application crashed \[@ (.+)\] \|.+")
_MARIONETTE = re.compile(r".+marionette([_harness/]?).*/test_.+.py ([A-Za-z]+).+")
_REFTEST_REF = re.compile(r"\s+[=!]=\s+.*")
_RESULT_PREFIX = re.compile(r"^(TEST-UNEXPECTED-\S+|PROCESS-CRASH)\s+\|\s+")

UNHELPFUL_TERMS = frozenset(
    {
        "automation.py",
        "remoteautomation.py",
        "Shutdown",
        "undefined",
        "Main app process exited normally",
        "Traceback (most recent call last):",
        "Return code: 0",
        "Return code: 1",
        "Return code: 2",
        "Return code: 10",
        "mozalloc_abort(char const*)",
        "mozalloc_abort",
        "CrashingThread(void *)",
        "gtest",
        "Last test finished",
        "leakcheck",
        "LeakSanitizer",
        "# TBPL FAILURE #",
    }
)


def clean_line(line: str) -> str:
    """The line without mozharness/PID prefixes and with C++ line numbers and thread ids masked."""
    cleaned = _MOZHARNESS.sub("", line).strip()
    cleaned = _PROCESS_ID.sub("", cleaned)
    cleaned = _CPP_LINE.sub(".cpp:X", cleaned)
    cleaned = _CHILD_THREAD.sub("[Child X, Y Thread", cleaned)
    cleaned = _PARENT_THREAD.sub("[Parent X, Y Thread", cleaned)
    return _LEADING_PID.sub("", cleaned)


def count_key(cleaned: str) -> str:
    """The cleaned line with run-to-run numbers masked: the key NEW detection counts by."""
    for pattern, replacement in _COUNT_KEY_RULES:
        cleaned = pattern.sub(replacement, cleaned)
    return cleaned


def is_helpful(term: str) -> bool:
    """A term that will not match a flood of bug summaries: over 4 characters, not on the list."""
    term = term.strip()
    return len(term) > 4 and term not in UNHELPFUL_TERMS


@dataclass(frozen=True, slots=True)
class SearchTerms:
    terms: list[str]  # what to search Bugscache summaries for (empty: nothing helpful)
    path_end: str | None  # the test path of a "RESULT | path | message" line


def search_terms(cleaned: str) -> SearchTerms:
    if not cleaned:
        return SearchTerms([], None)
    tokens = cleaned.split(" | ")
    term: str | None = None
    path_end: str | None = None
    if len(tokens) >= 3:
        is_crash = "PROCESS-CRASH" in tokens[0]
        path, message = (tokens[2], tokens[1]) if is_crash else (tokens[1], tokens[2])
        leak = _LEAK.search(message)
        if leak:
            term = leak.group(1) if leak.group(1) is not None else leak.group(2)
        else:
            path = _REFTEST_REF.sub("", path).replace("\\", "/")
            if _MARIONETTE.search(path):
                path = path.split(".py ")[0] + ".py"
            path_end = path
            term = message if is_crash else path.split("/")[-1]
    if not (term and is_helpful(term)):
        if is_helpful(cleaned):
            term = cleaned
        else:
            term = None
            if path_end and "/" not in path_end:
                path_end = None
    if not term:
        return SearchTerms([], path_end)
    term = _RESULT_PREFIX.sub("", term)[:SEARCH_TERM_MAX]
    terms = [term, term.split("?")[0]] if "?" in term else [term]
    return SearchTerms(terms, path_end)


def crash_signature(cleaned: str) -> str | None:
    """The signature of `... application crashed [@ SIG] | ...`, when helpful."""
    match = _CRASH.match(cleaned)
    if match and is_helpful(match.group(1)):
        return match.group(1)
    return None


def matches_at_boundary(summary: str, term: str) -> bool:
    """The term (lower case) starts the summary or follows '/', ' ', '\\\\' or ','."""
    lowered = summary.lower()
    return lowered.startswith(term) or any(sep + term in lowered for sep in ("/", " ", "\\", ","))


def astral_filter(text: str) -> str:
    """4-byte (non-BMP) characters as `<U+01F346>`, as Treeherder stores error lines."""
    return _ASTRAL.sub(lambda m: f"<U+{ord(m.group(0)):06X}>", text)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
