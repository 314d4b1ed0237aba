"""Reads of reference data (job types, groups, platforms, options, classifications), in batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from apps.jobs.models import (
    BuildPlatform,
    FailureClassification,
    JobGroup,
    JobType,
    Machine,
    MachinePlatform,
    OptionCollection,
    Product,
    ReferenceDataSignatures,
)


def job_types_by_ids(ids: Iterable[int]) -> dict[int, JobType]:
    return JobType.objects.in_bulk(list(ids))


def job_groups_by_ids(ids: Iterable[int]) -> dict[int, JobGroup]:
    return JobGroup.objects.in_bulk(list(ids))


def machine_platforms_by_ids(ids: Iterable[int]) -> dict[int, MachinePlatform]:
    return MachinePlatform.objects.in_bulk(list(ids))


def build_platforms_by_ids(ids: Iterable[int]) -> dict[int, BuildPlatform]:
    return BuildPlatform.objects.in_bulk(list(ids))


def machines_by_ids(ids: Iterable[int]) -> dict[int, Machine]:
    return Machine.objects.in_bulk(list(ids))


def products_by_ids(ids: Iterable[int]) -> dict[int, Product]:
    return Product.objects.in_bulk(list(ids))


def signatures_by_ids(ids: Iterable[int]) -> dict[int, ReferenceDataSignatures]:
    return ReferenceDataSignatures.objects.in_bulk(list(ids))


def option_labels_by_hashes(hashes: Iterable[str]) -> dict[str, list[str]]:
    """The option names of each collection, sorted (the order the hash is computed in)."""
    found: dict[str, list[str]] = defaultdict(list)
    rows = OptionCollection.objects.filter(option_collection_hash__in=list(hashes)).values_list(
        "option_collection_hash", "option__name"
    )
    for collection_hash, name in rows:
        found[collection_hash].append(name)
    return {h: sorted(names) for h, names in found.items()}


def failure_classification_list() -> list[FailureClassification]:
    return list(FailureClassification.objects.order_by("id"))


def failure_classifications_by_ids(ids: Iterable[int]) -> dict[int, FailureClassification]:
    return FailureClassification.objects.in_bulk(list(ids))
