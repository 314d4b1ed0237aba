"""Batched loads of notes and bug links, one query per batch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apps.classification import selectors
from apps.classification.models import BugJobMap
from apps.classification.models import InvestigatedTest as InvestigatedTestModel
from apps.classification.models import JobNote as JobNoteModel
from schema.classification.types import BugLink, InvestigatedTest, JobNote
from schema.loading import ListLoader


class NotesByJobIdLoader(ListLoader[int, JobNote]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.notes_by_job_ids(keys)

    def build_item(self, row: JobNoteModel) -> JobNote:
        return JobNote.from_model(row)


class BugLinksByJobIdLoader(ListLoader[int, BugLink]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.bug_links_by_job_ids(keys)

    def build_item(self, row: BugJobMap) -> BugLink:
        return BugLink.from_model(row)


class NoteHistoryByJobIdLoader(ListLoader[int, JobNote]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.note_history_by_job_ids(keys)

    def build_item(self, row: JobNoteModel) -> JobNote:
        return JobNote.from_model(row)


class BugLinkHistoryByJobIdLoader(ListLoader[int, BugLink]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.bug_link_history_by_job_ids(keys)

    def build_item(self, row: BugJobMap) -> BugLink:
        return BugLink.from_model(row)


class InvestigatedTestsByPushIdLoader(ListLoader[int, InvestigatedTest]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.investigated_tests_by_push_ids(keys)

    def build_item(self, row: InvestigatedTestModel) -> InvestigatedTest:
        return InvestigatedTest.from_model(row)
