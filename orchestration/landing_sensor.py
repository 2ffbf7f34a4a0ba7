"""A sensor that starts the nightly job when new or changed files land, between nightly runs.

It only looks at file names, sizes and modification times (never opens the warehouse, which
the running job may be writing). A file counts once it has not changed for
`SETTLE_SECONDS`, so a half-copied export does not start a run. Which files are actually new
is still decided by the load ledger: a run started for a file loaded before loads nothing.
"""

from __future__ import annotations

import hashlib
import json
import time

import dagster as dg

from orchestration.loader import discover
from orchestration.run_date import AS_OF_TAG, default_as_of
from orchestration.settings import Settings

SETTLE_SECONDS = 60


def landing_fingerprints(now: float | None = None) -> dict[str, list[int]]:
    """Settled landing files -> [size, modification time in ns]."""
    now = time.time() if now is None else now
    fingerprints = {}
    for landing in discover(Settings.from_env().landing_dir):
        stat = landing.path.stat()
        if now - stat.st_mtime >= SETTLE_SECONDS:
            fingerprints[landing.name] = [stat.st_size, stat.st_mtime_ns]
    return fingerprints


@dg.sensor(
    job_name="nightly_lead_scoring",
    minimum_interval_seconds=300,
    # opt-in: the nightly schedule alone is the default; turn this on in the UI or here
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def landing_sensor(context: dg.SensorEvaluationContext):
    """Request a run scoring yesterday when a landing file appeared or changed since the last tick."""
    seen = json.loads(context.cursor) if context.cursor else {}
    current = landing_fingerprints()
    arrived = sorted(name for name, print_ in current.items() if seen.get(name) != print_)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not arrived:
        return dg.SkipReason("no new or changed landing files")
    as_of = default_as_of().isoformat()
    # one run per distinct set of arrivals, however often the tick is evaluated
    run_key = hashlib.sha256(json.dumps({n: current[n] for n in arrived}).encode()).hexdigest()
    return dg.RunRequest(
        run_key=f"landing-{run_key[:16]}",
        tags={AS_OF_TAG: as_of, "lead_scoring/trigger": "landing_sensor"},
    )
