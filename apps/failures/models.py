"""Failure data produced by log parsing, and the local mirror of Bugzilla bugs."""

from __future__ import annotations

from django.db import models

from apps.jobs.models import Job, JobLog
from apps.repositories.models import Repository


class TextLogError(models.Model):
    """One error line of a job's raw log (at most 40 per job)."""

    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="text_log_errors", null=True)
    line = models.TextField()
    line_number = models.PositiveBigIntegerField()
    # Not seen on trunk in the last 21 days: the "NEW" marker.
    new_failure = models.BooleanField(default=False)

    class Meta:
        db_table = "text_log_error"
        constraints = [
            models.UniqueConstraint(fields=["job", "line_number"], name="text_log_error_job_line_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.line_number}"


class FailureLine(models.Model):
    """One structured (mozlog errorsummary) line. Denormalised: job guid and repository, no Job FK."""

    class Action(models.TextChoices):
        TEST_RESULT = "test_result"
        LOG = "log"
        CRASH = "crash"
        TRUNCATED = "truncated"
        GROUP_RESULT = "group_result"
        TEST_STATUS = "test_status"
        TEST_END = "test_end"

    id = models.BigAutoField(primary_key=True)
    job_guid = models.CharField(max_length=50)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    job_log = models.ForeignKey(JobLog, on_delete=models.CASCADE, related_name="failure_lines", null=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    line = models.PositiveIntegerField()
    test = models.TextField(blank=True, default="")
    subtest = models.TextField(blank=True, default="")
    status = models.CharField(max_length=19, blank=True, default="")
    expected = models.CharField(max_length=19, blank=True, default="")
    message = models.TextField(blank=True, default="")
    signature = models.TextField(blank=True, default="")
    level = models.CharField(max_length=8, blank=True, default="")
    stack = models.TextField(blank=True, default="")
    stackwalk_stdout = models.TextField(blank=True, default="")
    stackwalk_stderr = models.TextField(blank=True, default="")
    known_intermittent = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "failure_line"
        constraints = [models.UniqueConstraint(fields=["job_log", "line"], name="failure_line_log_line_unique")]
        indexes = [models.Index(fields=["job_guid", "repository"], name="failure_line_guid_repo_idx")]

    def __str__(self) -> str:
        return f"{self.job_guid}:{self.line}"


class Group(models.Model):
    """A test manifest, e.g. dom/base/test/browser.ini."""

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=255, unique=True)
    job_logs = models.ManyToManyField(JobLog, through="GroupStatus", related_name="groups")

    class Meta:
        db_table = "group"

    def __str__(self) -> str:
        return self.name


class GroupStatus(models.Model):
    class Status(models.IntegerChoices):
        OK = 1
        ERROR = 2
        SKIP = 3
        UNSUPPORTED = 10

    job_log = models.ForeignKey(JobLog, on_delete=models.CASCADE, related_name="group_statuses")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="group_statuses")
    status = models.PositiveSmallIntegerField(choices=Status.choices)
    # Seconds.
    duration = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "group_status"
        # Treeherder's index is partial (status IN (1, 2)); MariaDB has no partial indexes.
        indexes = [models.Index(fields=["group", "status"], name="group_status_group_status_idx")]

    def __str__(self) -> str:
        return f"{self.job_log_id}:{self.group_id}={self.status}"


class Bugscache(models.Model):
    """Local mirror of Bugzilla intermittent-failure bugs, plus internal issues (no bugzilla_id)."""

    id = models.BigAutoField(primary_key=True)
    bugzilla_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    status = models.CharField(max_length=64, db_index=True)
    resolution = models.CharField(max_length=64, blank=True, default="", db_index=True)
    summary = models.CharField(max_length=255, db_index=True)
    dupe_of = models.PositiveBigIntegerField(null=True, blank=True)
    crash_signature = models.TextField(blank=True, default="")
    keywords = models.TextField(blank=True, default="")
    modified = models.DateTimeField()
    whiteboard = models.CharField(max_length=100, blank=True, default="")
    processed_update = models.BooleanField(default=True)

    class Meta:
        db_table = "bugscache"
        verbose_name_plural = "bugscache"

    def __str__(self) -> str:
        return f"{self.bugzilla_id or 'internal ' + str(self.id)}: {self.summary}"


class BugscacheTrigram(models.Model):
    """The substring index of Bugscache summaries: one row per distinct lower-case trigram per bug.

    Treeherder serves `summary ILIKE '%term%'` with a PostgreSQL GIN trigram index. MariaDB has no
    trigram index, and its FULLTEXT index matches words, not substrings (MySQL's ngram parser does
    not exist in MariaDB), so a search for `browser_foo.js` or a path tail would be a table scan.
    This table is that index: a term's candidates are the bugs holding its rarest trigrams (an index
    range each), and only those summaries are checked with LIKE. Written by
    `apps.failures.services.bugs.bugscache_index_refresh` whenever Bugscache rows are stored.
    """

    pk = models.CompositePrimaryKey("trigram", "bug_id")
    trigram = models.CharField(max_length=3)
    bug = models.ForeignKey(Bugscache, on_delete=models.CASCADE, related_name="+", db_constraint=True)

    class Meta:
        db_table = "bugscache_trigram"
        indexes = [models.Index(fields=["bug"], name="bugscache_trigram_bug_idx")]

    def __str__(self) -> str:
        return f"{self.trigram}:{self.bug_id}"


class BugscacheTrigramFrequency(models.Model):
    """How many bugs hold each trigram: the search starts from a term's rarest trigrams.

    Kept exact by deltas in the same transaction as the index rows (`bugscache_index_refresh`).
    """

    trigram = models.CharField(max_length=3, primary_key=True)
    bugs = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "bugscache_trigram_frequency"

    def __str__(self) -> str:
        return f"{self.trigram}={self.bugs}"


class ErrorLineCount(models.Model):
    """How often a cleaned error line was seen on trunk per day: NEW-failure detection (spec §3.3).

    Treeherder keeps these counters in Redis (mirrored to a database cache table). Here MariaDB is
    the source of truth: the counts are written in the transaction that stores the error lines, so
    a re-parse counts nothing twice and a crash loses nothing; they survive a Redis flush (which in
    Treeherder would mark every failure NEW for 21 days); and every worker sees the same numbers.
    Rows older than 21 days are ignored and pruned.
    """

    namespace = models.CharField(max_length=2)  # "cc" for comm-central jobs, "mc" for all others
    day = models.DateField()
    key_hash = models.CharField(max_length=40)  # sha1 of `key`: a fixed-size unique key
    key = models.TextField()  # the cleaned line with run-to-run numbers masked
    count = models.PositiveIntegerField(default=0)
    # The revision this line was first seen on, when it had not been seen in the window before.
    first_revision = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        db_table = "error_line_count"
        constraints = [
            models.UniqueConstraint(fields=["namespace", "key_hash", "day"], name="error_line_count_unique"),
        ]
        indexes = [models.Index(fields=["day"], name="error_line_count_day_idx")]

    def __str__(self) -> str:
        return f"{self.namespace}:{self.day}:{self.count}"
