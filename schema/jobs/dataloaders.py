"""Batched loads of jobs and their reference data: one query per batch, whatever its size.

Rows are what the selectors return (model instances, `JobPage`s, option label lists); the fields
wrap them in GraphQL types (`schema.jobs.types`, `schema.jobs.resolvers`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from apps.jobs import models, selectors
from apps.jobs.selectors import JobFilter, JobPage
from schema.db import db
from schema.loading import ListLoader, RequestLoader, SelectorLoader


class JobByIdLoader(SelectorLoader[int, models.Job | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.jobs_by_ids(keys)


class JobByGuidLoader(SelectorLoader[str, models.Job | None]):
    def fetch(self, keys: list[str]) -> Mapping[str, Any]:
        return selectors.jobs_by_guids(keys)


@dataclass(frozen=True)
class JobPageKey:
    push_id: int
    filters: JobFilter
    first: int
    after_id: int | None


class JobPagesByPushIdLoader(RequestLoader[JobPageKey, JobPage]):
    """A page of jobs per push. Keys asking for the same page shape share one query."""

    @staticmethod
    def _fetch(keys: Sequence[JobPageKey]) -> dict[JobPageKey, JobPage]:
        groups: dict[tuple[JobFilter, int, int | None], list[int]] = defaultdict(list)
        for key in keys:
            groups[(key.filters, key.first, key.after_id)].append(key.push_id)
        found: dict[JobPageKey, JobPage] = {}
        for (filters, first, after_id), push_ids in groups.items():
            pages = selectors.job_pages_by_push_ids(push_ids=push_ids, filters=filters, first=first, after_id=after_id)
            for push_id, page in pages.items():
                found[JobPageKey(push_id, filters, first, after_id)] = page
        return found

    async def _load(self, keys: Sequence[JobPageKey]) -> list[JobPage]:
        found = await db(self._fetch)(keys)
        return [found[key] for key in keys]


class JobTypeByIdLoader(SelectorLoader[int, models.JobType | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.job_types_by_ids(keys)


class JobGroupByIdLoader(SelectorLoader[int, models.JobGroup | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.job_groups_by_ids(keys)


class PlatformByIdLoader(SelectorLoader[int, models.MachinePlatform | None]):
    """Machine platforms: the platform the job view shows."""

    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.machine_platforms_by_ids(keys)


class BuildPlatformByIdLoader(SelectorLoader[int, models.BuildPlatform | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.build_platforms_by_ids(keys)


class MachineByIdLoader(SelectorLoader[int, models.Machine | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.machines_by_ids(keys)


class SignatureByIdLoader(SelectorLoader[int, models.ReferenceDataSignatures | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.signatures_by_ids(keys)


class OptionsByHashLoader(SelectorLoader[str, list[str]]):
    """The sorted option labels of each option collection hash ([] for an unknown hash)."""

    missing: Any = []

    def fetch(self, keys: list[str]) -> Mapping[str, Any]:
        return selectors.option_labels_by_hashes(keys)


class FailureClassificationByIdLoader(SelectorLoader[int, models.FailureClassification | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.failure_classifications_by_ids(keys)


class JobLogsByJobIdLoader(ListLoader[int, models.JobLog]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.logs_by_job_ids(keys)
