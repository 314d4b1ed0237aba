"""The job filters shared by every job read (object pages and the compact table)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.lookups import Contains

from apps.jobs.models import OptionCollection


@dataclass(frozen=True)
class JobFilter:
    """Which jobs to read. Empty tuples and None mean "no restriction".

    `search` matches job type name, job type symbol or job group symbol, case-insensitively, as
    the job view's quick filter does. `option` is one option label (e.g. "debug"): jobs whose
    option collection contains it. `platform` is the machine platform name (e.g. "linux64").
    """

    push_ids: tuple[int, ...] | None = None
    repository_id: int | None = None
    results: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    tiers: tuple[int, ...] = ()
    platform: str | None = None
    option: str | None = None
    search: str | None = None
    job_type_name: str | None = None
    job_type_symbol: str | None = None
    job_group_symbol: str | None = None
    failure_classification_ids: tuple[int, ...] = ()
    last_modified_after: datetime.datetime | None = None

    def q(self) -> Q:
        q = Q()
        if self.push_ids is not None:
            q &= Q(push_id__in=self.push_ids)
        if self.repository_id is not None:
            q &= Q(repository_id=self.repository_id)
        if self.results:
            q &= Q(result__in=self.results)
        if self.states:
            q &= Q(state__in=self.states)
        if self.tiers:
            q &= Q(tier__in=self.tiers)
        if self.platform:
            q &= Q(machine_platform__platform=self.platform)
        if self.option:
            hashes = OptionCollection.objects.filter(option__name=self.option).values("option_collection_hash")
            q &= Q(option_collection_hash__in=hashes)
        if self.job_type_name:
            q &= Q(job_type__name=self.job_type_name)
        if self.job_type_symbol:
            q &= Q(job_type__symbol=self.job_type_symbol)
        if self.job_group_symbol:
            q &= Q(job_group__symbol=self.job_group_symbol)
        if self.search:
            # The database collation is binary (exact unique keys), so LIKE is case-sensitive there:
            # compare lower-cased on both sides.
            term = self.search.lower()
            q &= (
                Q(Contains(Lower("job_type__name"), term))
                | Q(Contains(Lower("job_type__symbol"), term))
                | Q(Contains(Lower("job_group__symbol"), term))
            )
        if self.failure_classification_ids:
            q &= Q(failure_classification_id__in=self.failure_classification_ids)
        if self.last_modified_after is not None:
            q &= Q(last_modified__gt=self.last_modified_after)
        return q
