"""API tokens for bots and tooling. Users are Django's own; sheriffs are the `sheriff` group.

A token is shown once, when it is created; the database keeps only its SHA-256 digest. A plain
hash (not a slow password hash) is enough because the secret is 256 random bits, not something a
person chose: nothing can be guessed from the digest, and lookups stay one indexed query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

SHERIFF_GROUP = "sheriff"


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read"
        CLASSIFY = "classify"

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the token, so a person can tell their tokens apart (not a secret:
    # far too short to guess the rest from).
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    # Comma-joined Scope values, e.g. "read,classify".
    scopes = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_token"
        indexes = [models.Index(fields=["user", "revoked_at"], name="api_token_user_revoked_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)
