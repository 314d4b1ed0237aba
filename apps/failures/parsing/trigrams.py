"""Trigrams: the substring index's keys, and pg_trgm's similarity (Treeherder's ranking).

* `substring_trigrams(text)`: every 3-character substring of the lower-cased text. A term of 3 or
  more characters can only be a substring of a summary holding all of the term's trigrams.
* `similarity(a, b)`: PostgreSQL pg_trgm's `similarity()` as documented: lower-case, split into
  words of alphanumerics, pad each word with two spaces before and one after, take the set of
  trigrams, and divide shared trigrams by all trigrams. Treeherder orders a search's matches by it.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+")  # pg_trgm keeps alphanumerics (Unicode letters and digits)


def substring_trigrams(text: str) -> set[str]:
    lowered = text.lower()
    return {lowered[i : i + 3] for i in range(len(lowered) - 2)}


def word_trigrams(text: str) -> set[str]:
    found: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        found.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return found


def similarity(a: str, b: str) -> float:
    left, right = word_trigrams(a), word_trigrams(b)
    union = len(left | right)
    return len(left & right) / union if union else 0.0
