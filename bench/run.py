"""The benchmark: the nightly run on large exports, side by side with the floor and pandas.

    make bench SIZE=S            # or: .venv/bin/python -m bench.run --size S

On one set of generated files (bench/generate.py, cached in bench/data/<size>/) it measures,
each step in its own process so that the numbers are the step's alone (the exports are read
once first, so that every step finds them in the page cache):

  1. full night    `python -m orchestration run` from an empty warehouse (ingest, dbt, outbound);
  2. incremental   one more day of exports landed, then the same command for the next day,
                   three times from the same warehouse (the run of median wall time counts);
  3. floor         one hand-written DuckDB query from the CSVs to the scores (bench/floor.py),
                   run before the full night and after the incremental ones (their mean counts);
  4. pandas        the same scores in plain pandas (bench/pandas_scores.py).

Wall time, CPU time (user + system, the process and all its children, dbt included) and peak
resident memory of the largest process in the step's tree (the kernel's ru_maxrss of the
waited-for tree, read with os.wait4). It then checks that 1, 3 and 4 give every lead the same
engagement score to the cent, and writes bench/results/<size>.json and .md
(<size>-no-pipeline.* or <size>-no-pandas.* when steps were left out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bench.generate import END_DAY, SIZES, ensure_data
from orchestration.settings import DBT_PROJECT_DIR, DEFAULT_MEMORY_LIMIT, PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PROGRESS_EVERY_S = 30
GIB = 1024**3
# the pipeline's DuckDB memory limit (orchestration/settings.py), also given to the floor
MEMORY_LIMIT = os.environ.get("LEAD_SCORING_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT

TARGETS = {
    "full_vs_floor_max": 3.0,  # full pipeline wall time <= 3x the floor's
    "incremental_vs_full_max": 0.10,  # incremental night <= 10% of the full pipeline
    "peak_rss_gib_max": 6.0,  # any one process
}


def measure(name: str, command: list[str], env: dict[str, str] | None = None) -> dict:
    """Run one step as a child process; its wall time, CPU time and peak RSS."""
    print(f"[{name}] {' '.join(command[-3:])}", flush=True)
    log_path = RESULTS_DIR / f".{name}.log"
    started = time.monotonic()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
        )
        next_report = PROGRESS_EVERY_S
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.monotonic() - started
            if elapsed >= next_report:
                print(f"[{name}]   {elapsed:.0f}s, {_tree_rss(process.pid) / GIB:.2f} GiB now, "
                      f"{_last_line(log_path)}", flush=True)  # fmt: skip
                next_report += PROGRESS_EVERY_S
            time.sleep(0.2)
    wall = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(log_path.read_text()[-4000:], file=sys.stderr)
        raise SystemExit(f"[{name}] failed with exit code {code}; log: {log_path}")
    result = {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_gib": round(usage.ru_maxrss * 1024 / GIB, 3),  # ru_maxrss is in KiB
    }
    print(f"[{name}] {result}", flush=True)
    return result


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and its descendants now (for the progress line)."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                todo.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return total


def _last_line(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines()
    return lines[-1][:100] if lines else ""


def read_once(paths: list[Path]) -> None:
    """Read the files to the end, so that no step pays for the first read from disk."""
    started, size = time.monotonic(), 0
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(16 * 1024 * 1024):
                size += len(chunk)
    print(f"[page cache] read {size / GIB:.1f} GiB of exports in "
          f"{time.monotonic() - started:.0f}s", flush=True)  # fmt: skip


def pipeline_env(work: Path) -> dict[str, str]:
    # The pipeline runs as users run it: the project's own profiles.yml, and DuckDB's memory
    # limit from LEAD_SCORING_MEMORY_LIMIT (4GB unless set in the caller's environment).
    return {
        "LEAD_SCORING_WAREHOUSE": str(work / "warehouse" / "lead_scoring.duckdb"),
        "LEAD_SCORING_LANDING_DIR": str(work / "landing"),
        "LEAD_SCORING_OUTPUT_DIR": str(work / "output"),
        "DAGSTER_HOME": str(work / "dagster_home"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }


def night(name: str, work: Path, as_of: dt.date) -> dict:
    started_at = time.time()
    result = measure(
        name,
        [sys.executable, "-m", "orchestration", "run", "--as-of", as_of.isoformat()],
        pipeline_env(work),
    )
    result["per_asset_s"] = _asset_step_times(work / "dagster_home")
    result["per_dbt_node_s"] = _dbt_node_times(started_at)
    return result


def incremental_nights(work: Path, as_of: dt.date, runs: int) -> dict:
    """The incremental night `runs` times, each from the state the full night left: the run
    of median wall time, its peak RSS the largest of all, and every run's wall time.

    A night at L is a minute of ~130 short statements, and it moves far more from one run to
    the next than the eight-minute full night does (57 s and 76 s for the same code within an
    hour, while the full night moved 14%): one run cannot tell a change of a few seconds from
    the machine's mood. The warehouse, the Dagster instance and the output folder are copied
    aside after the full night (a second copy of the warehouse on disk, 7 GB at L) and put
    back before each further run.
    """
    state = [name for name in ("warehouse", "dagster_home", "output") if (work / name).exists()]
    saved = work / "after_full_night"
    shutil.rmtree(saved, ignore_errors=True)
    if runs > 1:
        for name in state:
            shutil.copytree(work / name, saved / name)
    results = []
    for run in range(runs):
        if run:
            for name in state:
                shutil.rmtree(work / name)
                shutil.copytree(saved / name, work / name)
        results.append(night(f"incremental-{run + 1}", work, as_of))
    shutil.rmtree(saved, ignore_errors=True)
    median = sorted(results, key=lambda result: result["wall_s"])[(len(results) - 1) // 2]
    return {
        **median,
        "peak_rss_gib": max(result["peak_rss_gib"] for result in results),
        "runs_wall_s": [result["wall_s"] for result in results],
    }


def run_floor(name: str, data: Path, out: Path) -> dict:
    # the floor gets the pipeline's memory budget: a floor that needs more than the 6 GiB the
    # targets allow any process is not what this machine can do under the same rules
    return measure(
        name,
        [sys.executable, "-m", "bench.floor", str(data / "base"), END_DAY.isoformat(), str(out)],
        {"BENCH_FLOOR_MEMORY_LIMIT": os.environ.get("BENCH_FLOOR_MEMORY_LIMIT") or MEMORY_LIMIT},
    )


def bracketed(floors: list[dict]) -> dict:
    """The floor runs taken as one: the mean of their wall and CPU times, the largest RSS.

    The machine's speed drifts during a bench at L (one floor took 265 s, the next bench's
    196 s twenty minutes later), so a floor measured only after the nights puts that drift
    into full / floor. Measured before the full night and after the incremental nights,
    their mean brackets the pipeline's runs.
    """
    if len(floors) == 1:
        return floors[0]
    return {
        "wall_s": round(sum(floor["wall_s"] for floor in floors) / len(floors), 2),
        "cpu_s": round(sum(floor["cpu_s"] for floor in floors) / len(floors), 2),
        "peak_rss_gib": max(floor["peak_rss_gib"] for floor in floors),
        "runs_wall_s": [floor["wall_s"] for floor in floors],
    }


def _asset_step_times(dagster_home: Path) -> dict[str, float]:
    """Seconds per Dagster step of the latest run, from the run's event log."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        starts, times = {}, {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if not event or not entry.step_key:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                starts[entry.step_key] = entry.timestamp
            elif event.event_type in (
                dg.DagsterEventType.STEP_SUCCESS,
                dg.DagsterEventType.STEP_FAILURE,
            ):
                times[entry.step_key] = round(entry.timestamp - starts[entry.step_key], 2)
    return dict(sorted(times.items(), key=lambda item: -item[1]))


def _dbt_node_times(since: float) -> dict[str, float]:
    """Seconds per dbt node (models and tests) from the run's run_results.json.

    dagster-dbt gives each invocation its own target folder under dbt_project/target/.
    """
    candidates = [
        path
        for path in (DBT_PROJECT_DIR / "target").rglob("run_results.json")
        if path.stat().st_mtime >= since
    ]
    if not candidates:
        return {}
    latest = max(candidates, key=lambda path: path.stat().st_mtime)
    results = json.loads(latest.read_text())["results"]
    times = {r["unique_id"].split(".", 2)[-1]: round(r["execution_time"], 2) for r in results}
    return dict(sorted(times.items(), key=lambda item: -item[1]))


def pipeline_scores(work: Path, out: Path) -> None:
    with duckdb.connect(str(work / "warehouse" / "lead_scoring.duckdb"), read_only=True) as db:
        db.execute(
            f"copy (select lead_id, engagement_score from marts.fct_lead_scores) to '{out}' (header)"
        )


def compare(scores: dict[str, Path]) -> dict:
    """Leads whose engagement score differs by a cent or more between any two implementations.

    The floor and pandas list only leads with points; a lead missing from one counts as 0.
    """
    with duckdb.connect() as db:
        for name, path in scores.items():
            db.execute(f"create view {name} as select * from read_csv('{path}', header = true)")
        names = list(scores)
        first = names[0]
        joined = f"select lead_id, coalesce({first}.engagement_score, 0) as {first}"
        for name in names[1:]:
            joined += f", coalesce({name}.engagement_score, 0) as {name}"
        joined += f" from {first}"
        for name in names[1:]:
            joined += f" full join {name} using (lead_id)"
        db.execute(f"create view joined as {joined}")
        checks = {"leads": db.execute("select count(*) from joined").fetchone()[0]}
        for name in names[1:]:
            differing, largest = db.execute(
                f"select count(*) filter (where abs({first} - {name}) >= 0.01), "
                f"coalesce(max(abs({first} - {name})), 0) from joined"
            ).fetchone()
            checks[f"{first}_vs_{name}"] = {
                "leads_differing": differing,
                "max_difference": float(largest),
            }
        checks["mean_engagement_score"] = round(
            db.execute(f"select avg({first}) from joined").fetchone()[0], 2
        )
    return checks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument(
        "--skip-pipeline",
        action="store_true",
        help="leave out steps 1 and 2 (to see how the floor and pandas scale on their own)",
    )
    parser.add_argument(
        "--skip-pandas", action="store_true", help="leave out step 4 (it may not fit in memory)"
    )
    parser.add_argument(
        "--incremental-runs",
        type=int,
        default=3,
        help="run the incremental night this many times from the same state; the median counts",
    )
    args = parser.parse_args(argv)
    if args.incremental_runs < 1:
        parser.error("--incremental-runs must be at least 1")

    data = ensure_data(args.size)
    RESULTS_DIR.mkdir(exist_ok=True)
    work = BENCH_DIR / "work" / args.size
    shutil.rmtree(work, ignore_errors=True)
    (work / "landing").mkdir(parents=True)
    (work / "dagster_home").mkdir()
    (work / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for path in sorted((data / "base").glob("*.csv")):
        (work / "landing" / path.name).symlink_to(path)

    # every step reads the exports; each finds them in the page cache, as the steps after the
    # first would anyway (else the full night alone pays for reading 5 GB from disk at L)
    read_once(sorted(data.glob("*/*.csv")))
    steps, scores = {}, {}
    floor_out = work / "scores_floor.csv"
    floors = []
    if not args.skip_pipeline:
        floors.append(run_floor("floor-before", data, floor_out))
        steps["full"] = night("full", work, END_DAY)
        scores["pipeline"] = work / "scores_pipeline.csv"
        pipeline_scores(work, scores["pipeline"])
        for path in sorted((data / "night").glob("*.csv")):
            (work / "landing" / path.name).symlink_to(path)
        steps["incremental"] = incremental_nights(
            work, END_DAY + dt.timedelta(days=1), args.incremental_runs
        )

    floors.append(run_floor("floor-after" if floors else "floor", data, floor_out))
    steps["floor"] = bracketed(floors)
    scores["floor"] = floor_out
    if not args.skip_pandas:
        pandas_out = work / "scores_pandas.csv"
        steps["pandas"] = measure(
            "pandas",
            [sys.executable, "-m", "bench.pandas_scores", str(data / "base"),
             END_DAY.isoformat(), str(pandas_out)],
        )  # fmt: skip
        scores["pandas"] = pandas_out

    report = {
        "size": args.size,
        "volumes": vars(SIZES[args.size]),
        "as_of": END_DAY.isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "pipeline_memory_limit": MEMORY_LIMIT,
            "floor_memory_limit": os.environ.get("BENCH_FLOOR_MEMORY_LIMIT") or MEMORY_LIMIT,
        },
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "steps": steps,
        "ratios": _ratios(steps),
        "scores_agree": compare(scores),
    }
    report["targets"] = _targets(report)
    # a partial run gets its own file, so it never overwrites a complete one
    name = args.size + ("-no-pipeline" if args.skip_pipeline else "")
    name += "-no-pandas" if args.skip_pandas else ""
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    markdown = to_markdown(report)
    (RESULTS_DIR / f"{name}.md").write_text(markdown)
    print(markdown)


def _ratios(steps: dict) -> dict:
    """Wall-time ratios between the steps that ran."""
    pairs = [
        ("full_vs_floor", "full", "floor"),
        ("incremental_vs_full", "incremental", "full"),
        ("pandas_vs_full", "pandas", "full"),
        ("pandas_vs_floor", "pandas", "floor"),
    ]
    return {
        name: round(steps[a]["wall_s"] / steps[b]["wall_s"], 3)
        for name, a, b in pairs
        if a in steps and b in steps
    }


def _targets(report: dict) -> dict:
    ratios, steps = report["ratios"], report["steps"]
    targets = {}
    if "full_vs_floor" in ratios:
        targets["full <= 3x floor"] = ratios["full_vs_floor"] <= TARGETS["full_vs_floor_max"]
    if "incremental_vs_full" in ratios:
        targets["incremental <= 10% of full"] = (
            ratios["incremental_vs_full"] <= TARGETS["incremental_vs_full_max"]
        )
    targets["peak RSS <= 6 GiB"] = all(
        step["peak_rss_gib"] <= TARGETS["peak_rss_gib_max"] for step in steps.values()
    )
    targets["scores agree"] = all(
        check["leads_differing"] == 0
        for check in report["scores_agree"].values()
        if isinstance(check, dict)
    )
    if "pandas_vs_full" in ratios:
        targets["ahead of pandas"] = ratios["pandas_vs_full"] > 1
    return targets


# The steps measured more than once, and how the report's table takes their runs.
REPEATED_STEPS = {
    "incremental": "The incremental night ran {runs} times from the same state (wall s: "
    "{walls}); the table shows the run of median wall time, with the largest peak RSS.",
    "floor": "The floor ran before the full night and after the incremental nights (wall s: "
    "{walls}); the table shows their mean wall and CPU time, with the largest peak RSS.",
}


def to_markdown(report: dict) -> str:
    volumes = report["volumes"]
    lines = [
        f"### Size {report['size']}: {volumes['leads']:,} leads, {volumes['accounts']:,} "
        f"accounts, {volumes['activities']:,} activities (as of {report['as_of']})",
        "",
        f"Measured {report['measured_at']} on {report['machine']['cpus']} CPUs, "
        f"{report['machine']['memory_gib']} GiB, DuckDB {report['machine']['duckdb']} "
        f"(DuckDB memory limit: pipeline {report['machine']['pipeline_memory_limit']}, "
        f"floor {report['machine']['floor_memory_limit']}).",
        "",
        "| step | wall s | CPU s | peak RSS GiB |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, step in report["steps"].items():
        lines.append(f"| {name} | {step['wall_s']} | {step['cpu_s']} | {step['peak_rss_gib']} |")
    for name, sentence in REPEATED_STEPS.items():
        walls = report["steps"].get(name, {}).get("runs_wall_s", [])
        if len(walls) > 1:
            lines += ["", sentence.format(runs=len(walls), walls=", ".join(map(str, walls)))]
    lines += ["", "| ratio | value |", "| --- | ---: |"]
    lines += [f"| {name} | {value} |" for name, value in report["ratios"].items()]
    lines += ["", "| target | met |", "| --- | --- |"]
    lines += [f"| {name} | {'yes' if met else 'NO'} |" for name, met in report["targets"].items()]
    checks = report["scores_agree"]
    lines += ["", f"Scores compared for {checks['leads']:,} leads:"]
    for name, check in checks.items():
        if isinstance(check, dict):
            lines.append(
                f"- {name}: {check['leads_differing']} leads differ by a cent or more "
                f"(largest difference {check['max_difference']})"
            )
    for night_name in ("full", "incremental"):
        if night_name not in report["steps"]:
            continue
        step = report["steps"][night_name]
        lines += ["", f"Where the {night_name} night's time goes (top steps, seconds):", ""]
        top_assets = list(step["per_asset_s"].items())[:5]
        top_nodes = list(step["per_dbt_node_s"].items())[:6]
        lines.append("- Dagster steps: " + ", ".join(f"{k} {v}" for k, v in top_assets))
        lines.append("- dbt nodes: " + ", ".join(f"{k} {v}" for k, v in top_nodes))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    os.chdir(PROJECT_ROOT)
    main()
