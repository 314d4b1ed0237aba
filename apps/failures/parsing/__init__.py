"""Pure parsing code for failure analysis: no Django, no I/O (callers feed bytes and read results).

* `errorlines`: raw log -> error lines (Treeherder's ErrorParser rules), streaming.
* `errorsummary`: mozlog errorsummary JSON lines -> failure lines and group results.
* `searchterms`: error line -> cleaned line, cache key and Bugzilla search terms.
"""
