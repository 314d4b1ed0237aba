"""Bug suggestions for error lines (domain spec §3.4), batched: a constant number of SQL queries for
any number of lines.

Per line: clean it, derive its search terms (`apps.failures.parsing.searchterms`), search each term
in Bugscache summaries, merge without duplicate ids; with no hit at all, search the crash signature.

A search (`bugs_search`) is Treeherder's `Bugscache.search`: case-insensitive substring matches of
the term in summaries, the 50 most similar (pg_trgm similarity, ties by id), then only those where
the term starts the summary or follows '/', ' ', '\\\\' or ','; split into `open_recent` (no
resolution) and `all_others`. The substring match is served by the trigram index
(`BugscacheTrigram`): a term's candidates are the bugs that hold its three rarest trigrams (the
frequency table says which), at most CANDIDATES_PER_TERM of them, and only those summaries are
checked. Queries for a batch of terms: trigram frequencies, candidates (UNION ALL of one indexed
join per term), candidate rows, and the occurrences of internal issues; doubled at most by the
crash-signature pass. Terms shorter than 3 characters (rare: helpful terms are over 4) fall back to
a bounded LIKE scan.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils import timezone

from apps.failures.models import Bugscache, BugscacheTrigram, BugscacheTrigramFrequency
from apps.failures.parsing.searchterms import (
    clean_line,
    crash_signature,
    matches_at_boundary,
    search_terms,
)
from apps.failures.parsing.trigrams import similarity, substring_trigrams

MAX_RESULTS = 50
CANDIDATES_PER_TERM = 5000
RAREST_TRIGRAMS = 3
INTERNAL_OCCURRENCES_DAYS = 7
_BUG_FIELDS: tuple[str, ...] = ("id", "bugzilla_id", "status", "resolution", "summary", "dupe_of", "crash_signature")
_BUG_FIELDS += ("keywords", "whiteboard", "modified")


@dataclass
class BugMatches:
    open_recent: list[Bugscache] = field(default_factory=list)
    all_others: list[Bugscache] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.open_recent or self.all_others)

    def merge(self, other: BugMatches) -> None:
        for mine, theirs in ((self.open_recent, other.open_recent), (self.all_others, other.all_others)):
            seen = {bug.id for bug in mine}
            mine.extend(bug for bug in theirs if bug.id not in seen)


@dataclass
class LineSuggestions:
    search: str  # the cleaned line
    search_terms: list[str]
    path_end: str | None
    bugs: BugMatches
    occurrences: dict[int, int]  # internal issue id -> bug links in the last 7 days


def _candidates(terms: list[str]) -> dict[str, set[int]]:
    """Bug ids that may contain each term (3+ characters), from the trigram index."""
    trigrams = {term: substring_trigrams(term) for term in terms}
    wanted = sorted(set().union(*trigrams.values())) if trigrams else []
    frequency: dict[str, int] = {}
    for i in range(0, len(wanted), 5000):
        part = wanted[i : i + 5000]
        frequency.update(BugscacheTrigramFrequency.objects.filter(trigram__in=part).values_list("trigram", "bugs"))
    branches: list[str] = []
    params: list[str | int] = []
    index = BugscacheTrigram._meta.db_table
    for number, term in enumerate(terms):
        counts = sorted((frequency.get(t, 0), t) for t in trigrams[term])
        if not counts or counts[0][0] == 0:
            continue  # a trigram no summary holds: no match
        rarest = [t for _, t in counts[:RAREST_TRIGRAMS]]
        joins = " ".join(
            f"JOIN {index} t{k} ON t{k}.trigram = %s AND t{k}.bug_id = t0.bug_id" for k in range(1, len(rarest))
        )
        # A derived table per term (SQLite, the embedded database, has no parenthesised UNION members).
        branches.append(
            f"SELECT n, bug_id FROM (SELECT %s AS n, t0.bug_id FROM {index} t0 {joins} "  # noqa: S608 - names only
            f"WHERE t0.trigram = %s LIMIT %s) AS q{number}"
        )
        params.extend([number, *rarest[1:], rarest[0], CANDIDATES_PER_TERM])
    found: dict[str, set[int]] = {term: set() for term in terms}
    for i in range(0, len(branches), 200):
        sql = " UNION ALL ".join(branches[i : i + 200])
        with connection.cursor() as cursor:
            cursor.execute(sql, _params_for(branches, params, i, i + 200))
            for number, bug_id in cursor.fetchall():
                found[terms[int(number)]].add(int(bug_id))
    return found


def _params_for(branches: list[str], params: list[str | int], start: int, stop: int) -> list[str | int]:
    """The parameters of branches[start:stop] (each branch has one %s per placeholder it holds)."""
    offset = sum(b.count("%s") for b in branches[:start])
    length = sum(b.count("%s") for b in branches[start:stop])
    return params[offset : offset + length]


def bugs_search(terms: Iterable[str]) -> dict[str, BugMatches]:
    """Treeherder's Bugscache.search for each term (keys: the terms as given)."""
    given = [t for t in dict.fromkeys(terms) if t and t.strip()]
    lowered = {t: t.lower() for t in given}
    long_terms = sorted({lowered[t] for t in given if len(lowered[t]) >= 3})
    short_terms = sorted({lowered[t] for t in given if len(lowered[t]) < 3})
    candidates = _candidates(long_terms)
    ids = set().union(*candidates.values()) if candidates else set()
    rows = {bug.id: bug for bug in Bugscache.objects.filter(id__in=sorted(ids)).only(*_BUG_FIELDS)} if ids else {}
    matches: dict[str, list[Bugscache]] = {
        term: [rows[i] for i in bug_ids if i in rows and term in rows[i].summary.lower()]
        for term, bug_ids in candidates.items()
    }
    if short_terms:  # a scan, bounded: see the module docstring
        query = Q()
        for term in short_terms:
            query |= Q(lower_summary__contains=term)
        scanned = list(
            Bugscache.objects.annotate(lower_summary=Lower("summary")).filter(query).only(*_BUG_FIELDS)[:1000]
        )
        for term in short_terms:
            matches[term] = [bug for bug in scanned if term in bug.summary.lower()]
    results: dict[str, BugMatches] = {}
    for term in given:
        low = lowered[term]
        ranked = sorted(matches.get(low, []), key=lambda bug: (-similarity(bug.summary, low), bug.id))
        kept = [bug for bug in ranked[:MAX_RESULTS] if matches_at_boundary(bug.summary, low)]
        results[term] = BugMatches(
            open_recent=[b for b in kept if b.resolution == ""],
            all_others=[b for b in kept if b.resolution != ""],
        )
    return results


def internal_occurrences(bug_ids: Iterable[int], now: datetime.datetime | None = None) -> dict[int, int]:
    """Bug links of internal issues in the last 7 days (Treeherder fills `occurrences` only for them)."""
    from apps.classification.models import BugJobMap

    ids = sorted(set(bug_ids))
    if not ids:
        return {}
    since = (now or timezone.now()) - datetime.timedelta(days=INTERNAL_OCCURRENCES_DAYS)
    counts = BugJobMap.objects.filter(bug_id__in=ids, created__gte=since).values("bug_id").annotate(n=Count("id"))
    found = {row["bug_id"]: row["n"] for row in counts}
    return {bug_id: found.get(bug_id, 0) for bug_id in ids}


def bug_suggestions_for_lines(lines: Sequence[str]) -> dict[str, LineSuggestions]:
    """Suggestions for each distinct error line (keys: the lines as given)."""
    prepared = {}
    for line in dict.fromkeys(lines):
        cleaned = clean_line(line)
        prepared[line] = (cleaned, search_terms(cleaned))
    found = bugs_search(t for _, info in prepared.values() for t in info.terms)
    out: dict[str, LineSuggestions] = {}
    crash_terms: dict[str, str] = {}
    for line, (cleaned, info) in prepared.items():
        bugs = BugMatches()
        for term in info.terms:
            if term and term.strip():
                bugs.merge(found[term])
        out[line] = LineSuggestions(cleaned, list(info.terms), info.path_end, bugs, {})
        if not bugs:
            signature = crash_signature(cleaned)
            if signature:
                crash_terms[line] = signature
    if crash_terms:
        crash_found = bugs_search(crash_terms.values())
        for line, signature in crash_terms.items():
            out[line].search_terms.append(signature)
            out[line].bugs = crash_found[signature]
    internal = {
        bug.id for s in out.values() for bug in (*s.bugs.open_recent, *s.bugs.all_others) if bug.bugzilla_id is None
    }
    occurrences = internal_occurrences(internal)
    by_line: defaultdict[str, dict[int, int]] = defaultdict(dict)
    for line, s in out.items():
        for bug in (*s.bugs.open_recent, *s.bugs.all_others):
            if bug.id in occurrences:
                by_line[line][bug.id] = occurrences[bug.id]
        s.occurrences = by_line[line]
    return out
