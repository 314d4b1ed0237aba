"""Writes of failure data.

* `logs`: fetch and parse a job's logs (raw log -> error lines, errorsummary -> failure lines and
  group statuses), mark each log's parse status, publish ERRORS_READY.
* `scheduling`: which logs of which completed jobs to parse, on which queue.
"""
