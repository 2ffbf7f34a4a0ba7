"""The scoring day of a run (`as_of`): a run tag, set by the schedule, the CLI or the UI."""

from __future__ import annotations

import datetime as dt

import dagster as dg

AS_OF_TAG = "lead_scoring/as_of"


def default_as_of(today: dt.date | None = None) -> dt.date:
    """A nightly run scores the day that just ended."""
    return (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=1)


def parse_as_of(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"as_of must be a date like 2026-11-20, got {value!r}") from None


def as_of_for_run(context: dg.AssetExecutionContext) -> dt.date:
    """The run's `lead_scoring/as_of` tag, or yesterday (UTC) for a run launched without one."""
    tag = context.run.tags.get(AS_OF_TAG)
    return parse_as_of(tag) if tag else default_as_of()
