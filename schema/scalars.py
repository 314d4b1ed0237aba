"""Column scalars of the job table: one scalar value holds one whole column (a JSON array).

graphql-core completes every list item one at a time (about a microsecond or more each); a column
of 20,000 values served as one leaf costs one call. The scalar's name and description say what the
array holds, so the response stays described by the schema. Registered through
`StrawberryConfig.scalar_map` (`SCALAR_MAP`).
"""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

IntColumn = NewType("IntColumn", list)
NullableIntColumn = NewType("NullableIntColumn", list)
StringColumn = NewType("StringColumn", list)
NullableStringColumn = NewType("NullableStringColumn", list)
TimestampColumn = NewType("TimestampColumn", list)
IndexColumn = NewType("IndexColumn", list)
JobStateColumn = NewType("JobStateColumn", list)
JobResultColumn = NewType("JobResultColumn", list)


def _identity(value: Any) -> Any:
    return value


def _input_refused(value: Any) -> Any:
    raise ValueError("column scalars are output only")


def _column(name: str, description: str) -> ScalarDefinition:
    return strawberry.scalar(name=name, description=description, serialize=_identity, parse_value=_input_refused)


SCALAR_MAP: dict[object, ScalarDefinition] = {
    IntColumn: _column("IntColumn", "A job table column: a JSON array of integers, one per row, never null."),
    NullableIntColumn: _column(
        "NullableIntColumn", "A job table column: a JSON array of integers or null, one per row."
    ),
    StringColumn: _column("StringColumn", "A job table column: a JSON array of strings, one per row, never null."),
    NullableStringColumn: _column(
        "NullableStringColumn", "A job table column: a JSON array of strings or null, one per row."
    ),
    TimestampColumn: _column(
        "TimestampColumn",
        "A job table column: a JSON array of times as integer milliseconds since the Unix epoch (UTC), "
        "or null where the time is unknown; one per row. `new Date(value)` in JavaScript.",
    ),
    IndexColumn: _column(
        "IndexColumn",
        "A job table column: a JSON array of integers, one per row, each an index (from 0) into the "
        "reference list the column's description names.",
    ),
    JobStateColumn: _column(
        "JobStateColumn", "A job table column: a JSON array of JobState names (e.g. COMPLETED), one per row."
    ),
    JobResultColumn: _column(
        "JobResultColumn", "A job table column: a JSON array of JobResult names (e.g. TESTFAILED), one per row."
    ),
}
