"""Writes for pushes: loading pushes announced on Pulse (hg, GitHub push, GitHub pull request)."""

from apps.pushes.services.ingest import pulse_push_ingest
from apps.pushes.services.store import PushData, push_store

__all__ = ["PushData", "pulse_push_ingest", "push_store"]
