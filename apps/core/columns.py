"""Column widths read from the models, so values are cut to exactly what the database stores."""

from __future__ import annotations

import functools

from django.db import models


@functools.cache
def max_length(model: type[models.Model], field: str) -> int:
    """The `max_length` of a model's character field (a value longer than it must be cut first)."""
    length = getattr(model._meta.get_field(field), "max_length", None)
    if length is None:
        raise ValueError(f"{model.__name__}.{field} has no max_length")
    return int(length)
