"""Every uniqueness constraint of the data model refuses a duplicate, on the real database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from apps.classification.models import BugJobMap
from apps.failures.models import Bugscache, FailureLine, Group, TextLogError
from apps.jobs.models import (
    BuildPlatform,
    FailureClassification,
    Job,
    JobGroup,
    JobLog,
    JobType,
    Machine,
    MachinePlatform,
    Option,
    OptionCollection,
    Product,
    ReferenceDataSignatures,
    TaskclusterMetadata,
)
from apps.pushes.models import Commit, Push
from apps.repositories.models import Repository, RepositoryBranch, RepositoryGroup
from tests import factories as f

pytestmark = pytest.mark.django_db


def _copy(obj: Any, **changes: Any) -> Any:
    """An unsaved copy of `obj` with the same field values (a duplicate), plus `changes`."""
    model = type(obj)
    values = {
        field.attname: getattr(obj, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key or not field.auto_created
    }
    values.pop("id", None)
    values.update(changes)
    return model(**values)


CASES: list[tuple[str, Callable[[], Any], dict[str, Any]]] = [
    ("repository_group.name", lambda: f.RepositoryGroupFactory(), {}),
    ("repository.name", lambda: f.RepositoryFactory(), {"url": "https://hg.mozilla.org/other"}),
    ("repository_branch(repository, branch)", lambda: f.RepositoryBranchFactory(), {}),
    ("push(repository, revision)", lambda: f.PushFactory(), {"author": "other@mozilla.com"}),
    ("commit(push, revision)", lambda: f.CommitFactory(), {"comments": "other"}),
    ("product.name", lambda: f.ProductFactory(), {}),
    ("build_platform(os, platform, arch)", lambda: f.BuildPlatformFactory(), {}),
    ("machine_platform(os, platform, arch)", lambda: f.MachinePlatformFactory(), {}),
    ("machine.name", lambda: f.MachineFactory(), {}),
    ("option.name", lambda: f.OptionFactory(), {}),
    ("option_collection(hash, option)", lambda: f.OptionCollectionFactory(), {}),
    ("job_type(name, symbol)", lambda: f.JobTypeFactory(), {"description": "other"}),
    ("job_group(name, symbol)", lambda: f.JobGroupFactory(), {"description": "other"}),
    ("failure_classification.name", lambda: f.FailureClassificationFactory(), {"id": 99}),
    (
        "reference_data_signatures(name, signature, build_system_type, repository)",
        lambda: f.ReferenceDataSignaturesFactory(),
        {"first_submission_timestamp": 1},
    ),
    ("job.guid", lambda: f.JobFactory(), {"state": "pending"}),
    ("taskcluster_metadata.job", lambda: f.TaskclusterMetadataFactory(), {"task_id": "A" * 22}),
    ("job_log(job, name, url)", lambda: f.JobLogFactory(), {"status": JobLog.Status.PARSED}),
    ("text_log_error(job, line_number)", lambda: f.TextLogErrorFactory(), {"line": "another line"}),
    ("failure_line(job_log, line)", lambda: f.FailureLineFactory(), {"message": "another"}),
    ("group.name", lambda: f.GroupFactory(), {}),
    ("bugscache.bugzilla_id", lambda: f.BugscacheFactory(), {"summary": "another bug"}),
    ("bug_job_map(job, bug)", lambda: f.BugJobMapFactory(), {}),
]


@pytest.mark.parametrize(("name", "make", "changes"), CASES, ids=[c[0] for c in CASES])
def test_duplicate_is_refused(name: str, make: Callable[[], Any], changes: dict[str, Any]) -> None:
    original = make()
    duplicate = _copy(original, **changes)

    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save(force_insert=True)


def test_every_unique_constraint_of_the_model_is_covered() -> None:
    """A new unique constraint needs a case above; this lists them from the models themselves."""
    models = [
        RepositoryGroup, Repository, RepositoryBranch, Push, Commit, Product, BuildPlatform, MachinePlatform,
        Machine, Option, OptionCollection, JobType, JobGroup, FailureClassification, ReferenceDataSignatures, Job,
        TaskclusterMetadata, JobLog, TextLogError, FailureLine, Group, Bugscache, BugJobMap,
    ]  # fmt: skip
    tables = set()
    for model in models:
        has_unique = any(field.unique and not field.primary_key for field in model._meta.concrete_fields) or bool(
            model._meta.constraints
        )
        if has_unique or model is TaskclusterMetadata:
            tables.add(model._meta.db_table)
    covered = {name.split("(")[0].split(".")[0] for name, _, _ in CASES}
    assert tables == covered


def test_internal_issues_may_share_a_null_bugzilla_id() -> None:
    """Internal issues have no Bugzilla id; NULLs never collide."""
    f.BugscacheFactory(bugzilla_id=None)
    f.BugscacheFactory(bugzilla_id=None)
    assert Bugscache.objects.filter(bugzilla_id=None).count() == 2


def test_wildcard_branch_rule_allows_one_trailing_star_only() -> None:
    from django.core.exceptions import ValidationError

    assert f.RepositoryBranchFactory(branch="releases/*").matches("releases/2.8")
    with pytest.raises(ValidationError):
        f.RepositoryBranchFactory(branch="rel*ases/*")
