"""Batched loads of notes, bug links (live, and with their history) and investigated tests, one
query per batch. Rows are model instances."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.classification import selectors
from apps.classification.models import BugJobMap, InvestigatedTest, JobNote
from schema.loading import ListLoader


class NotesByJobIdLoader(ListLoader[int, JobNote]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.notes_by_job_ids(keys)


class BugLinksByJobIdLoader(ListLoader[int, BugJobMap]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.bug_links_by_job_ids(keys)


class NoteHistoryByJobIdLoader(ListLoader[int, JobNote]):
    """Every note of each job, deleted ones too (the audit trail)."""

    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.note_history_by_job_ids(keys)


class BugLinkHistoryByJobIdLoader(ListLoader[int, BugJobMap]):
    """Every bug link of each job, unlinked ones too (the audit trail)."""

    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.bug_link_history_by_job_ids(keys)


class InvestigatedTestsByPushIdLoader(ListLoader[int, InvestigatedTest]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.investigated_tests_by_push_ids(keys)
