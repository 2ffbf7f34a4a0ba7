"""Real servers on 127.0.0.1 for the outbound tests, and a warehouse with hand-made marts.

FakeCrm speaks the HubSpot CRM v3 and Salesforce REST shapes the clients use
(../shared/export_formats.md §1f, §2b), keeps its records in memory, and can be told to fail:
wrong token (401), 429 with Retry-After, 500, a slow answer (timeout), per-record errors (207 /
SaveResult), or killing the client process after it applied a write and before answering.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import duckdb

SF = "/services/data/v62.0/composite/sobjects"
HS_READ = "/crm/v3/objects/contacts/batch/read"
HS_UPSERT = "/crm/v3/objects/contacts/batch/upsert"
HUBSPOT_ORDER = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead")


@dataclass
class Logged:
    method: str
    path: str
    body: object
    at: float
    status: int = 0


@dataclass
class FakeCrm:
    token: str
    # HubSpot contacts by e-mail: {"id": ..., "properties": {...}}
    contacts: dict[str, dict] = field(default_factory=dict)
    # Salesforce leads by Id: {"Status": ..., "IsConverted": ..., ...}
    leads: dict[str, dict] = field(default_factory=dict)
    # Queued faults, consumed one per request: ("status", code, retry_after), ("slow", seconds)
    # or ("redirect", url)
    faults: list[tuple] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)  # e-mails / lead ids whose write fails
    kill_after_write: int | None = None  # pid to SIGKILL once a write is applied
    log: list[Logged] = field(default_factory=list)
    webhook_posts: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, path: str) -> list[Logged]:
        return [entry for entry in self.log if entry.path.split("?")[0] == path]

    def upserted_emails(self) -> list[str]:
        return [
            item["id"]
            for entry in self.requests_to(HS_UPSERT)
            if entry.status in (200, 207)
            for item in entry.body["inputs"]
        ]

    def sf_updated_ids(self) -> list[str]:
        return [
            record["id"]
            for entry in self.log
            if entry.method == "PATCH" and entry.status == 200
            for record in entry.body["records"]
        ]

    # --- HubSpot -------------------------------------------------------------------------
    def hubspot_read(self, body):
        results, missing = [], []
        for item in body["inputs"]:
            contact = self.contacts.get(item["id"].lower())
            if contact is None:
                missing.append(item["id"])
                continue
            properties = {name: contact["properties"].get(name) for name in body["properties"]} | {
                "email": item["id"].lower(),
                "hs_object_id": contact["id"],
            }
            results.append({"id": contact["id"], "properties": properties, "archived": False})
        errors = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some CONTACT objects, they may be deleted or not exist.",
                "context": {"ids": missing},
            }
        ]
        answer = {"status": "COMPLETE", "results": results}
        if missing:
            return 207, answer | {"errors": errors, "numErrors": 1}
        return 200, answer

    def hubspot_upsert(self, body):
        ids = [item["id"].lower() for item in body["inputs"]]
        if len(ids) > 100 or len(set(ids)) < len(ids):
            message = "Too many inputs" if len(ids) > 100 else "Duplicate IDs found in batch input"
            return 400, {"status": "error", "category": "VALIDATION_ERROR", "message": message}
        results, errors = [], []
        for item in body["inputs"]:
            email = item["id"].lower()
            if email in self.reject:
                errors.append(
                    {
                        "status": "error",
                        "category": "VALIDATION_ERROR",
                        "message": f"Property values were not valid for {email}",
                        "context": {"ids": [item["id"]]},
                    }
                )
                continue
            contact = self.contacts.get(email)
            new = contact is None
            if new:
                contact = self.contacts[email] = {
                    "id": str(1000 + len(self.contacts)),
                    "properties": {"email": email},
                    "changes": 0,
                }
            before = dict(contact["properties"])
            contact["properties"].update(item["properties"])
            if contact["properties"] != before:
                contact["changes"] = contact.get("changes", 0) + 1
            # HubSpot answers with the contact's properties, e-mail included
            properties = contact["properties"] | {"email": email}
            results.append({"id": contact["id"], "properties": properties, "new": new})
        answer = {"status": "COMPLETE", "results": results}
        if errors:
            return 207, answer | {"errors": errors, "numErrors": len(errors)}
        return 200, answer

    # --- Salesforce ----------------------------------------------------------------------
    def salesforce_read(self, query):
        ids = query["ids"][0].split(",")
        fields = query["fields"][0].split(",")
        records = []
        for lead_id in ids:
            lead = self.leads.get(lead_id)
            records.append(
                None
                if lead is None
                else {"attributes": {"type": "Lead"}}
                | {name: lead.get(name) for name in fields}
                | {"Id": lead_id}
            )
        return 200, records

    def salesforce_update(self, body):
        if body.get("allOrNone") is not False or any(
            record.get("attributes", {}).get("type") != "Lead" for record in body["records"]
        ):
            return 400, [{"errorCode": "INVALID_FIELD", "message": "malformed request"}]
        saved = []
        for record in body["records"]:
            lead = self.leads.get(record["id"])
            if lead is None:
                saved.append(
                    {
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "MALFORMED_ID",
                                "message": f"Lead ID: id value of incorrect type: {record['id']}",
                                "fields": ["Id"],
                            }
                        ],
                    }
                )
            elif record["id"] in self.reject:
                saved.append(
                    {
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                "message": "Score fields are locked",
                                "fields": ["Lead_Score__c"],
                            }
                        ],
                    }
                )
            else:
                lead.update({k: v for k, v in record.items() if k not in ("attributes", "id")})
                saved.append({"id": record["id"], "success": True, "errors": []})
        return 200, saved


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PATCH(self):
        self._handle()

    def _handle(self):
        crm = self.server.crm
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        url = urllib.parse.urlsplit(self.path)
        entry = Logged(self.command, self.path, body, time.monotonic())
        with crm.lock:
            crm.log.append(entry)
            fault = crm.faults.pop(0) if crm.faults and url.path != "/hooks/sales-ops" else None
        if url.path.startswith("/hooks/"):
            crm.webhook_posts.append(body)
            return self._reply(entry, 200, {"ok": True})
        if fault and fault[0] == "slow":
            entry.status = -1  # marks a request the client gave up on
            time.sleep(fault[1])
            return self._reply(entry, 200, {"status": "COMPLETE", "results": []})
        if fault and fault[0] == "redirect":
            return self._reply(entry, 302, {"moved": True}, {"Location": fault[1]})
        if fault:
            _, status, retry_after = fault
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return self._reply(entry, status, {"message": "try later"}, headers)
        if self.headers.get("Authorization") != f"Bearer {crm.token}":
            return self._reply(
                entry, 401, {"status": "error", "category": "INVALID_AUTHENTICATION"}
            )
        with crm.lock:
            if url.path == HS_READ:
                status, answer = crm.hubspot_read(body)
            elif url.path == HS_UPSERT:
                status, answer = crm.hubspot_upsert(body)
            elif url.path == f"{SF}/Lead" and self.command == "GET":
                status, answer = crm.salesforce_read(urllib.parse.parse_qs(url.query))
            elif url.path == SF and self.command == "PATCH":
                status, answer = crm.salesforce_update(body)
            else:
                status, answer = 404, {"message": f"no route {self.command} {url.path}"}
            wrote = url.path == HS_UPSERT or self.command == "PATCH"
            if wrote and crm.kill_after_write is not None:
                # The CRM applied the write; the client dies before it hears about it.
                entry.status = status
                os.kill(crm.kill_after_write, signal.SIGKILL)
                crm.kill_after_write = None
                return
        self._reply(entry, status, answer)

    def _reply(self, entry: Logged, status: int, answer: object, headers: dict | None = None):
        if entry.status != -1:
            entry.status = status
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and left


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    crm: FakeCrm


class FakeCrmServer:
    """FakeCrm served on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, crm: FakeCrm):
        self.crm = crm
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.crm = crm
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeCrmServer:
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- a warehouse with the two marts outbound reads --------------------------------------

NEW_SQLS_COLUMNS = {
    "lead_id": "varchar",
    "email": "varchar",
    "first_name": "varchar",
    "last_name": "varchar",
    "title": "varchar",
    "company": "varchar",
    "country": "varchar",
    "owner_id": "varchar",
    "owner_name": "varchar",
    "owner_email": "varchar",
    "sql_at": "timestamp",
    "sql_reason": "varchar",
    "mql_at": "timestamp",
    "fit_score": "decimal(18,2)",
    "engagement_score": "decimal(18,2)",
    "total_score": "decimal(18,2)",
    "fit_grade": "varchar",
    "engagement_tier": "integer",
    "rules_version": "varchar",
    "is_new_on_as_of_date": "boolean",
    "as_of_date": "date",
}

BREACH_COLUMNS = {
    "owner_id": "varchar",
    "owner_name": "varchar",
    "owner_email": "varchar",
    "team": "varchar",
    "lead_id": "varchar",
    "lead_email": "varchar",
    "first_name": "varchar",
    "last_name": "varchar",
    "company": "varchar",
    "current_stage": "varchar",
    "transition": "varchar",
    "segment": "varchar",
    "started_at": "timestamp",
    "due_at": "timestamp",
    "window_business_hours": "decimal(10,2)",
    "business_hours_overdue": "decimal(10,2)",
    "tier": "varchar",
    "as_of_date": "date",
}


def sql_row(lead_id: str, email: str | None, sql_at: str = "2026-11-18 15:00:00", **extra) -> dict:
    """A row of marts.rpt_new_sqls with plausible values."""
    return {
        "lead_id": lead_id,
        "email": email,
        "first_name": "Ada",
        "last_name": lead_id,
        "company": "Acme",
        "owner_id": "U1",
        "owner_name": "Tess Owner",
        "sql_at": sql_at,
        "sql_reason": "hand_raise:demo_request",
        "fit_score": "60.00",
        "engagement_score": "42.97",
        "total_score": "102.97",
        "fit_grade": "A",
        "engagement_tier": 1,
        "rules_version": "test",
        "as_of_date": "2026-11-20",
        **extra,
    }


def replace_marts(root: Path, new_sqls: list[dict], breaches: list[dict]) -> None:
    """(Re)create marts.rpt_new_sqls and marts.rpt_sla_breaches as dbt would leave them."""
    with duckdb.connect(str(root / "lead_scoring.duckdb")) as connection:
        connection.execute("create schema if not exists marts")
        for table, columns, rows in (
            ("rpt_new_sqls", NEW_SQLS_COLUMNS, new_sqls),
            ("rpt_sla_breaches", BREACH_COLUMNS, breaches),
        ):
            definition = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            connection.execute(f"create or replace table marts.{table} ({definition})")
            for row in rows:
                connection.execute(
                    f"insert into marts.{table} ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
                    list(row.values()),
                )


def run_outbound(
    root: Path, as_of: str, crm=None, mailer=None, run_config=None
) -> dg.ExecuteInProcessResult:
    """Materialize the outbound assets alone, on the marts in `root`, as the nightly job does."""
    from orchestration.assets.outbound import outbound_assets
    from orchestration.resources import Crm, Folders, Mailer, Warehouse
    from orchestration.run_date import AS_OF_TAG

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        outbound_assets,
        instance=instance,
        tags={AS_OF_TAG: as_of},
        resources={
            "warehouse": Warehouse(path=str(root / "lead_scoring.duckdb")),
            "folders": Folders(
                landing_dir=str(root / "landing"),
                rules_dir=str(root / "rules"),
                output_dir=str(root / "output"),
            ),
            "crm": crm or Crm(),
            "mailer": mailer or Mailer(),
        },
        run_config=run_config,
        raise_on_error=False,
    )
    # what the run logged (context.log), kept to search for secrets
    result.log_messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    return result


def check_result(result: dg.ExecuteInProcessResult, name: str):
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def everything_said(result: dg.ExecuteInProcessResult, output_dir: Path) -> str:
    """Every event, log line and metadata value of a run, and every output file: to search
    for secrets that must not be there."""
    texts = [repr(event) for event in result.all_events] + result.log_messages
    texts += [path.read_text(errors="replace") for path in output_dir.rglob("*") if path.is_file()]
    return "\n".join(texts)
