"""Idempotent loading of Django-format fixture rows ({"pk", "model", "fields"}) by primary key.

Unlike `loaddata`, a row whose stored values already match is left alone, so re-running a load
writes nothing, and the result says what was created and updated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def read_fixture(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        rows: list[dict[str, Any]] = json.load(fh)
    return rows


def upsert_rows_by_pk(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    field_map: Mapping[str, str] | None = None,
    defaults: Callable[[], dict[str, Any]] | None = None,
) -> LoadResult:
    """Create missing rows and update rows whose fields differ; leave the rest untouched.

    `field_map` renames fixture fields to model attributes (e.g. repository_group -> repository_group_id).
    `defaults` gives values for model fields a fixture row leaves out, so that a row stays equal to
    what the fixture says even when an earlier version of the fixture set them.
    """
    field_map = field_map or {}
    wanted: dict[Any, dict[str, Any]] = {}
    for row in rows:
        values = dict(defaults() if defaults else {})
        values.update({field_map.get(k, k): v for k, v in row["fields"].items()})
        wanted[row["pk"]] = values

    created = updated = 0
    with transaction.atomic():
        existing = model._default_manager.in_bulk(list(wanted))
        to_create = []
        for pk, values in wanted.items():
            obj = existing.get(pk)
            if obj is None:
                to_create.append(model(pk=pk, **values))
                continue
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            if changed:
                for name in changed:
                    setattr(obj, name, values[name])
                obj.save(update_fields=changed)
                updated += 1
        model._default_manager.bulk_create(to_create)
        created = len(to_create)
    return LoadResult(created=created, updated=updated, unchanged=len(wanted) - created - updated)
