"""Batched loads of notes and bug links, one query per batch. Rows are model instances."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.classification import selectors
from apps.classification.models import BugJobMap, JobNote
from schema.loading import ListLoader


class NotesByJobIdLoader(ListLoader[int, JobNote]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.notes_by_job_ids(keys)


class BugLinksByJobIdLoader(ListLoader[int, BugJobMap]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.bug_links_by_job_ids(keys)
