"""What the client selected under the field being resolved, through fragments."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schema.info import Info


def _names(selections: Iterable[Selection]) -> set[str]:
    names: set[str] = set()
    for selection in selections:
        if isinstance(selection, SelectedField):
            names.add(selection.name)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            names |= _names(selection.selections)
    return names


def selected_child_names(info: Info) -> set[str]:
    """GraphQL names of the fields selected directly under the current field."""
    names: set[str] = set()
    for field in info.selected_fields:
        names |= _names(field.selections)
    return names
