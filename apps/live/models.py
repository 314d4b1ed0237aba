"""The event outbox: every user-visible change, written in the same transaction as the change.

A row is inserted by `apps.live.publish.publish()` inside the writer's transaction, so an event
exists if and only if its change committed. `seq` is NULL until the relay (`apps.live.relay`) reads
the committed row and gives it the next number, in the order the relay saw rows commit. `seq` is
the cursor clients resume from; it never goes backwards, so a client that has seen seq N has seen
every committed event numbered below N.
"""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    type = models.CharField(max_length=40)
    repository_id = models.IntegerField(db_index=True)
    push_id = models.BigIntegerField(null=True, blank=True)
    job_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "live_event"
        indexes = [models.Index(fields=["repository_id", "seq"], name="live_event_repo_seq_idx")]

    def __str__(self) -> str:
        return f"{self.type}#{self.id} seq={self.seq}"


class RetentionMark(models.Model):
    """One row: the highest `seq` retention has deleted. A cursor at or below it may have missed
    events, so resuming from it asks the client to re-sync instead of replaying with a hole."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    pruned_through = models.BigIntegerField(default=0)

    class Meta:
        db_table = "live_retention_mark"

    def __str__(self) -> str:
        return f"pruned through seq {self.pruned_through}"
