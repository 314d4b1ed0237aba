"""load_reference_data: the fixtures go in once; running it again changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from apps.jobs.models import FailureClassification
from apps.repositories.models import Repository, RepositoryBranch, RepositoryGroup

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, list[dict[str, object]]]:
    return {
        model.__name__: [model_to_dict(obj) for obj in model.objects.order_by("pk")]
        for model in (RepositoryGroup, Repository, RepositoryBranch, FailureClassification)
    }


def test_loads_the_fixtures() -> None:
    call_command("load_reference_data", stdout=io.StringIO())

    assert RepositoryGroup.objects.count() == 13
    assert Repository.objects.count() == 147
    assert Repository.objects.filter(active_status="active").count() == 50
    assert RepositoryBranch.objects.count() == 58
    # Ids hard-coded throughout Treeherder's code and URLs.
    assert {r.id: r.name for r in Repository.objects.filter(id__in=[1, 4, 6, 7, 77])} == {
        1: "mozilla-central",
        4: "try",
        6: "mozilla-beta",
        7: "mozilla-release",
        77: "autoland",
    }
    assert list(FailureClassification.objects.order_by("id").values_list("id", "name")) == [
        (1, "not classified"),
        (2, "fixed by commit"),
        (3, "expected fail"),
        (4, "intermittent"),
        (5, "infra"),
        (6, "new failure not classified"),
        (7, "autoclassified intermittent"),
        (8, "intermittent needs bugid"),
    ]


def test_second_run_changes_nothing() -> None:
    call_command("load_reference_data", stdout=io.StringIO())
    before = _snapshot()

    out = io.StringIO()
    call_command("load_reference_data", stdout=out)

    assert _snapshot() == before
    assert out.getvalue().splitlines() == [
        "repository_group: 0 created, 0 updated, 13 unchanged",
        "repository: 0 created, 0 updated, 147 unchanged",
        "repository_branch: 0 created, 0 updated, 58 unchanged",
        "failure_classification: 0 created, 0 updated, 8 unchanged",
    ]


def test_reload_repairs_a_changed_row_and_only_that_row() -> None:
    call_command("load_reference_data", stdout=io.StringIO())
    Repository.objects.filter(name="autoland").update(url="https://example.com/elsewhere")

    out = io.StringIO()
    call_command("load_reference_data", stdout=out)

    assert Repository.objects.get(name="autoland").url == "https://hg.mozilla.org/integration/autoland"
    assert "repository: 0 created, 1 updated, 146 unchanged" in out.getvalue()
