"""The landing sensor starts a run when settled files appear or change, and only then."""

from __future__ import annotations

import os
import time

import dagster as dg
import pytest

from orchestration.landing_sensor import SETTLE_SECONDS, landing_sensor
from orchestration.run_date import AS_OF_TAG, default_as_of


@pytest.fixture
def landing(tmp_path, monkeypatch):
    folder = tmp_path / "landing"
    folder.mkdir()
    monkeypatch.setenv("LEAD_SCORING_LANDING_DIR", str(folder))
    return folder


def drop(folder, name: str, text: str, age_seconds: float = SETTLE_SECONDS + 5) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    then = time.time() - age_seconds
    os.utime(path, (then, then))


def tick(cursor: str | None):
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor)
        result = landing_sensor(context)
        return result, context.cursor


def test_new_and_changed_files_start_one_run_each(landing):
    drop(landing, "Lead.csv", "Id,Company,Status,CreatedDate\n")
    drop(landing, "salesforce_task/Task.csv", "Id,WhoId,Subject,CreatedDate\n")
    first, cursor = tick(None)
    assert isinstance(first, dg.RunRequest)
    assert first.tags[AS_OF_TAG] == default_as_of().isoformat()
    # nothing new: no run
    quiet, cursor = tick(cursor)
    assert isinstance(quiet, dg.SkipReason)
    # a file still being written (modified just now) waits until it has settled
    drop(landing, "Contact.csv", "Id,LastName,AccountId,CreatedDate\n", age_seconds=0)
    waiting, cursor = tick(cursor)
    assert isinstance(waiting, dg.SkipReason)
    drop(landing, "Contact.csv", "Id,LastName,AccountId,CreatedDate\n")
    arrived, cursor = tick(cursor)
    assert isinstance(arrived, dg.RunRequest) and arrived.run_key != first.run_key
    # a changed file under an old name is an arrival too
    drop(landing, "Lead.csv", "Id,Company,Status,CreatedDate\n00Q1,Acme,Open,2026-11-20\n")
    changed, _ = tick(cursor)
    assert isinstance(changed, dg.RunRequest)


def test_the_sensor_targets_the_nightly_job_and_is_off_by_default(dbt_manifest):
    from orchestration.definitions import defs

    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.job_name == "nightly_lead_scoring"
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
