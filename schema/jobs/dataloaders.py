"""Batched loads of jobs and their reference data: one query per batch, whatever its size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from apps.jobs import models, selectors
from apps.jobs.selectors import JobFilter, JobPage
from schema.db import db
from schema.jobs.types import (
    FailureClassification,
    Job,
    JobConnection,
    JobGroup,
    JobLog,
    JobType,
    Machine,
    Platform,
    job_cursor,
)
from schema.loading import ListLoader, SelectorLoader
from schema.pagination import page_info


class JobByIdLoader(SelectorLoader[int, Job | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.jobs_by_ids(keys)

    def build(self, row: models.Job) -> Job:
        return Job.from_model(row)


class JobByGuidLoader(SelectorLoader[str, Job | None]):
    def fetch(self, keys: list[str]) -> Mapping[str, Any]:
        return selectors.jobs_by_guids(keys)

    def build(self, row: models.Job) -> Job:
        return Job.from_model(row)


@dataclass(frozen=True)
class JobPageKey:
    push_id: int
    filters: JobFilter
    first: int
    after_id: int | None


def connection_from_page(page: JobPage) -> JobConnection:
    jobs = [Job.from_model(row) for row in page.jobs]
    return JobConnection(
        page_info=page_info(has_next_page=page.has_next_page, cursors=[job_cursor(j.database_id) for j in jobs]),
        jobs=jobs,
    )


class JobPagesByPushIdLoader(DataLoader[JobPageKey, JobConnection]):
    """A page of jobs per push. Keys asking for the same page shape share one query."""

    def __init__(self) -> None:
        super().__init__(load_fn=self._load)

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

    async def _load(self, keys: Sequence[JobPageKey]) -> list[JobConnection]:
        found = await db(self._fetch)(keys)
        return [connection_from_page(found[key]) for key in keys]


class JobTypeByIdLoader(SelectorLoader[int, JobType | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.job_types_by_ids(keys)

    def build(self, row: models.JobType) -> JobType:
        return JobType.from_model(row)


class JobGroupByIdLoader(SelectorLoader[int, JobGroup | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.job_groups_by_ids(keys)

    def build(self, row: models.JobGroup) -> JobGroup:
        return JobGroup.from_model(row)


class PlatformByIdLoader(SelectorLoader[int, Platform | None]):
    """Machine platforms: the platform the job view shows."""

    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.machine_platforms_by_ids(keys)

    def build(self, row: models.MachinePlatform) -> Platform:
        return Platform.from_model(row)


class BuildPlatformByIdLoader(SelectorLoader[int, Platform | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.build_platforms_by_ids(keys)

    def build(self, row: models.BuildPlatform) -> Platform:
        return Platform.from_model(row)


class MachineByIdLoader(SelectorLoader[int, Machine | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.machines_by_ids(keys)

    def build(self, row: models.Machine) -> Machine:
        return Machine.from_model(row)


class SignatureByIdLoader(SelectorLoader[int, str | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.signatures_by_ids(keys)

    def build(self, row: models.ReferenceDataSignatures) -> str:
        return row.signature


class OptionsByHashLoader(SelectorLoader[str, list[str]]):
    missing: Any = []

    def fetch(self, keys: list[str]) -> Mapping[str, Any]:
        return selectors.option_labels_by_hashes(keys)


class FailureClassificationByIdLoader(SelectorLoader[int, FailureClassification | None]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.failure_classifications_by_ids(keys)

    def build(self, row: models.FailureClassification) -> FailureClassification:
        return FailureClassification.from_model(row)


class JobLogsByJobIdLoader(ListLoader[int, JobLog]):
    def fetch(self, keys: list[int]) -> Mapping[int, Any]:
        return selectors.logs_by_job_ids(keys)

    def build_item(self, row: models.JobLog) -> JobLog:
        return JobLog.from_model(row)
