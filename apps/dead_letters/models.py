"""Dead letters: Pulse messages ingestion gave up on, kept so they can be retried by hand."""

from __future__ import annotations

from django.db import models


class DeadLetter(models.Model):
    class Kind(models.TextChoices):
        TASKS = "tasks"
        PUSHES = "pushes"

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # missing_push (its push never came), transient (a fetch or the database kept failing), timeout (its
    # batch kept hitting the soft time limit), redelivered (it kept killing workers or being lost with
    # them), error (an unexpected exception).
    reason = models.CharField(max_length=40, db_index=True)
    detail = models.TextField(blank=True, default="")
    # The message as the listener handed it over: an apps.core.pulse.PulseEnvelope.
    message = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    retried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ingestion_dead_letter"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind}#{self.id} {self.reason}"
