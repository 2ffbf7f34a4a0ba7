"""Dagster resources: the warehouse, the folders, and the CRM and mail servers outbound talks to."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.crm import CrmClient, HubSpotClient, SalesforceClient
from orchestration.http_json import RetryPolicy
from orchestration.mail import SmtpSettings
from orchestration.settings import DEFAULT_MEMORY_LIMIT


class Dbt(DbtCliResource):
    """dbt's command line, without the two things dagster-dbt does before every command that
    these assets do not need: ~4 s of every night spent before dbt even starts.

    * It runs `dbt --version` to tell dbt Core from the Fusion engine (3 s: dbt's imports and a
      look-up of the latest release on PyPI). The `dbt` this project runs is the dbt-core of
      its own environment, whose version the package metadata gives at once.
    * It loads the dbt project and profile and registers the adapter in this process, only to
      fetch column metadata and row counts, which no asset here asks for.

    Both are private members of dagster-dbt 0.29: tests/test_definitions.py fails if an
    upgrade renames them or the installed `dbt` reports another version.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None

    def run_for_day(
        self, args: Sequence[str], as_of: dt.date, context: dg.AssetExecutionContext
    ) -> Iterator:
        """`dbt <args>` scoring `as_of`: the dbt events, streamed as Dagster events.

        The day reaches dbt as LEAD_SCORING_AS_OF (macros/as_of.sql), not as a var: dbt throws
        its parse away when a var changes, and a day is a new var every night. Each run works
        in its own folder under target/runs/; its parse is kept as the project's, so the next
        run, whose profile (the warehouse path) and files are the same, parses only what
        changed (a full parse is ~5 s of every night), and old run folders are pruned.
        """
        runs = self._target_dir / "runs"
        run_dir = runs / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{context.run.run_id[:8]}"
        with environment(LEAD_SCORING_AS_OF=as_of.isoformat()):
            invocation = self.cli(list(args), context=context, target_path=run_dir)
        try:
            yield from invocation.stream()
        finally:
            self._keep_parse(run_dir)
            prune_run_folders(runs, keep=KEPT_DBT_RUN_FOLDERS)

    @property
    def _target_dir(self) -> Path:
        return Path(self.project_dir) / "target"

    def _keep_parse(self, run_dir: Path) -> None:
        parse = run_dir / PARTIAL_PARSE_FILE
        if not parse.exists():  # dbt failed before it parsed
            return
        # replaced in one step: a run starting now copies either the old parse or the new one
        descriptor, copy = tempfile.mkstemp(dir=self._target_dir, prefix=f".{PARTIAL_PARSE_FILE}")
        os.close(descriptor)
        shutil.copyfile(parse, copy)
        os.replace(copy, self._target_dir / PARTIAL_PARSE_FILE)


# dbt's parse cache; dagster-dbt copies it from target/ into each run's folder
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# dbt run folders kept under dbt_project/target/runs/ (logs, compiled SQL, run_results.json)
KEPT_DBT_RUN_FOLDERS = 14


def prune_run_folders(runs: Path, keep: int) -> None:
    """Remove all but the `keep` newest run folders (named by their start, so sorted by it)."""
    folders = sorted(path for path in runs.iterdir() if path.is_dir()) if runs.exists() else []
    for folder in folders[:-keep]:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of the block (a subprocess started inside
    inherits them), then restore what was there."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file shared by the Python assets and dbt.

    DuckDB allows one writing process per file, so every asset opens a short-lived connection
    and the job runs its steps one after another (see definitions.py).
    """

    path: str
    # past this DuckDB spills to disk (the same limit dbt's profile sets)
    memory_limit: str = DEFAULT_MEMORY_LIMIT

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # Timestamps are stored as naive UTC; a session in UTC keeps casts from shifting them.
        connection = duckdb.connect(self.path, config={"memory_limit": self.memory_limit})
        try:
            connection.execute("set TimeZone = 'UTC'")
            yield connection
        finally:
            connection.close()


class Folders(dg.ConfigurableResource):
    """Where exports land, where the rules live and where outbound files are written."""

    landing_dir: str
    rules_dir: str
    output_dir: str


CRM_TARGETS = ("none", "hubspot", "salesforce")


class Crm(dg.ConfigurableResource):
    """Where new SQLs are pushed: `none` (hand-off CSV only), `hubspot` or `salesforce`.

    The token is read from the environment variable named by `token_env_var` when the push
    runs, so it never sits in run config, metadata or logs.
    """

    target: str = "none"
    dry_run: bool = False
    base_url: str = ""
    token_env_var: str = ""
    salesforce_api_version: str = "v62.0"
    salesforce_sql_status: str = "Sales Qualified"
    timeout_seconds: float = 10.0
    max_retries: int = 4
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 60.0
    # A push that fails this many runs in a row is marked dead and reported.
    max_attempts: int = 5
    batch_size: int = 100

    def client(self) -> CrmClient:
        """The configured client; raises ValueError naming what is missing."""
        if self.target not in CRM_TARGETS:
            raise ValueError(f"CRM target {self.target!r} is not one of {', '.join(CRM_TARGETS)}")
        if self.target == "none":
            raise ValueError("no CRM configured")
        if not self.base_url:
            raise ValueError(f"no base URL configured for {self.target}")
        token = os.environ.get(self.token_env_var, "") if self.token_env_var else ""
        if not token and not self.dry_run:
            raise ValueError(f"{self.token_env_var or 'the token variable'} is not set")
        policy = RetryPolicy(
            timeout_seconds=self.timeout_seconds,
            max_retries=self.max_retries,
            backoff_base_seconds=self.backoff_base_seconds,
            backoff_max_seconds=self.backoff_max_seconds,
        )
        if self.target == "hubspot":
            return HubSpotClient(self.base_url, token, policy)
        return SalesforceClient(
            self.base_url,
            token,
            policy,
            api_version=self.salesforce_api_version,
            sql_status=self.salesforce_sql_status,
        )


class Mailer(dg.ConfigurableResource):
    """Where SLA breach reports go: SMTP e-mail and an optional Slack-compatible webhook.

    The SMTP password and the webhook URL (which embeds its own secret) are read from the
    environment variables named here when a report is sent.
    """

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | ssl | none
    smtp_user: str = ""
    smtp_password_env_var: str = "LEAD_SCORING_SMTP_PASSWORD"
    sender: str = "lead-scoring@localhost"
    recipients: str = ""  # comma-separated addresses for the whole report
    # "Team A=a@example.com,b@example.com; Team B=c@example.com": one more e-mail per team.
    team_recipients: str = ""
    webhook_url_env_var: str = "LEAD_SCORING_WEBHOOK_URL"
    timeout_seconds: float = 10.0
    backoff_base_seconds: float = 0.5  # webhook retries

    def smtp(self) -> SmtpSettings:
        return SmtpSettings(
            host=self.smtp_host,
            port=self.smtp_port,
            security=self.smtp_security,
            user=self.smtp_user,
            password=os.environ.get(self.smtp_password_env_var, ""),
            sender=self.sender,
            timeout_seconds=self.timeout_seconds,
        )

    def webhook_policy(self) -> RetryPolicy:
        return RetryPolicy(
            timeout_seconds=self.timeout_seconds, backoff_base_seconds=self.backoff_base_seconds
        )

    def webhook_url(self) -> str:
        return os.environ.get(self.webhook_url_env_var, "") if self.webhook_url_env_var else ""
