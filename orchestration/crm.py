"""CRM clients that mark new SQLs in HubSpot (CRM v3) or Salesforce (REST).

Both read what the CRM holds before writing, so that:
- a lead the CRM already has at a later stage (opportunity, customer, converted) is never
  moved back to SQL;
- a push that reached the CRM but was never recorded (the job died in between) is recognised
  by its idempotency key, stored on the record, and not sent a second time.
The write itself sets absolute values (upsert / update), so even sending twice changes nothing.
Request and response shapes follow ../shared/export_formats.md §1f (HubSpot) and §2b (Salesforce).
"""

from __future__ import annotations

import time
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from orchestration.http_json import DEFAULT_POLICY, HttpError, RetryPolicy, request_json

# At most this many records per request (HubSpot batch limit; Salesforce allows 200).
MAX_BATCH = 100


@dataclass(frozen=True)
class SqlToPush:
    """One outbox row as the clients see it; the values come from the hand-off ledger."""

    idempotency_key: str
    lead_id: str
    email: str | None
    sql_at: str
    sql_reason: str | None
    total_score: str | None
    fit_score: str | None
    engagement_score: str | None


@dataclass(frozen=True)
class PushResult:
    status: str  # sent | skipped | failed
    detail: str | None = None
    crm_id: str | None = None


@dataclass(frozen=True)
class CrmState:
    """What the CRM holds for a lead before we write."""

    crm_id: str | None
    push_key: str | None
    blocked_reason: str | None  # set when the CRM holds a later stage


@dataclass(frozen=True)
class CrmRequest:
    method: str
    path: str
    body: object


class CrmClient(ABC):
    name: str

    def __init__(
        self,
        base_url: str,
        token: str,
        policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.policy = policy
        self.sleep = sleep

    def push(self, batch: list[SqlToPush]) -> dict[str, PushResult]:
        """Mark a batch (at most MAX_BATCH) as SQL; a result per idempotency key.

        Raises HttpError when the CRM cannot be reached or refuses the whole request.
        """
        assert len(batch) <= MAX_BATCH, "callers split the outbox into batches"
        results: dict[str, PushResult] = {}
        to_write = []
        for sql, state in zip(batch, self.read(batch), strict=True):
            if isinstance(state, PushResult):
                results[sql.idempotency_key] = state
            elif state is not None and state.push_key == sql.idempotency_key:
                results[sql.idempotency_key] = PushResult(
                    "sent", "already in the CRM: an earlier run sent it", state.crm_id
                )
            elif state is not None and state.blocked_reason:
                results[sql.idempotency_key] = PushResult(
                    "skipped", state.blocked_reason, state.crm_id
                )
            else:
                to_write.append(sql)
        if to_write:
            results.update(self.write(to_write))
        return results

    @abstractmethod
    def record_identity(self, sql: SqlToPush) -> str:
        """Which CRM record `sql` writes to: a batch must not name one twice."""

    @abstractmethod
    def read(self, batch: list[SqlToPush]) -> list[CrmState | PushResult | None]:
        """The CRM's state per SQL, in batch order: None when the record does not exist."""

    @abstractmethod
    def write_request(self, batch: list[SqlToPush]) -> CrmRequest:
        """The request that marks `batch` as SQL (also what a dry run shows)."""

    @abstractmethod
    def write(self, batch: list[SqlToPush]) -> dict[str, PushResult]:
        """Send write_request(batch) and turn the answer into a result per SQL."""

    def call(self, request: CrmRequest) -> object:
        _status, body = request_json(
            request.method,
            self.base_url + request.path,
            label=f"{request.method} {request.path.split('?')[0]}",
            body=request.body,
            headers={"Authorization": f"Bearer {self._token}"},
            policy=self.policy,
            sleep=self.sleep,
        )
        return body


class HubSpotClient(CrmClient):
    """Contacts matched on e-mail; lifecycle stage `salesqualifiedlead` plus score properties."""

    name = "hubspot"
    READ_PATH = "/crm/v3/objects/contacts/batch/read"
    UPSERT_PATH = "/crm/v3/objects/contacts/batch/upsert"
    PUSH_KEY = "lead_scoring_push_key"
    # Stages at or before SQL. Anything else (opportunity, customer, evangelist, other, or a
    # portal's custom stage) is left alone: we cannot tell it is earlier, so we do not write.
    STAGES_UP_TO_SQL = ("", "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead")

    def record_identity(self, sql):
        return (sql.email or "").lower()

    def read(self, batch):
        with_email = [sql for sql in batch if sql.email]
        found = {}
        if with_email:
            body = self.call(
                CrmRequest(
                    "POST",
                    self.READ_PATH,
                    {
                        "idProperty": "email",
                        "properties": ["email", "lifecyclestage", self.PUSH_KEY],
                        "inputs": [{"id": sql.email} for sql in with_email],
                    },
                )
            )
            # Contacts that do not exist come back under "errors" (207): the upsert creates them.
            for record in _results(body):
                properties = record.get("properties") or {}
                found[(properties.get("email") or "").lower()] = record
        states = []
        for sql in batch:
            if not sql.email:
                states.append(PushResult("failed", "no e-mail: HubSpot contacts are matched on it"))
                continue
            record = found.get(sql.email.lower())
            if record is None:
                states.append(None)
                continue
            properties = record.get("properties") or {}
            stage = properties.get("lifecyclestage") or ""
            blocked = (
                None
                if stage in self.STAGES_UP_TO_SQL
                else f"HubSpot lifecycle stage is already {stage!r}: not moved back to SQL"
            )
            states.append(CrmState(str(record.get("id")), properties.get(self.PUSH_KEY), blocked))
        return states

    def write_request(self, batch):
        return CrmRequest(
            "POST",
            self.UPSERT_PATH,
            {
                "inputs": [
                    {
                        "idProperty": "email",
                        "id": sql.email,
                        "objectWriteTraceId": sql.idempotency_key,
                        "properties": self.properties(sql),
                    }
                    for sql in batch
                ]
            },
        )

    def properties(self, sql: SqlToPush) -> dict[str, str]:
        # HubSpot property values are strings; the score properties are custom contact
        # properties the portal must have (see README, "Pushing SQLs to the CRM").
        values = {
            "lifecyclestage": "salesqualifiedlead",
            "lead_score_total": sql.total_score,
            "lead_score_fit": sql.fit_score,
            "lead_score_engagement": sql.engagement_score,
            "lead_score_sql_reason": sql.sql_reason,
            "lead_score_sql_at": sql.sql_at,
            self.PUSH_KEY: sql.idempotency_key,
        }
        return {name: "" if value is None else str(value) for name, value in values.items()}

    def write(self, batch):
        body = self.call(self.write_request(batch))
        written = {}
        for record in _results(body):
            properties = record.get("properties") or {}
            written[(properties.get("email") or "").lower()] = str(record.get("id"))
        # A 207 lists failed inputs under "errors", naming them in context.ids (the e-mail)
        # or context.objectWriteTraceId (our idempotency key).
        failed = {}
        for error in body.get("errors") or []:
            context = error.get("context") or {}
            for name in [*context.get("ids", []), *context.get("objectWriteTraceId", [])]:
                failed[str(name).lower()] = (
                    f"{error.get('category', 'error')}: {error.get('message', '')}".strip()
                )
        results = {}
        for sql in batch:
            email = sql.email.lower()
            if email in written:
                results[sql.idempotency_key] = PushResult("sent", None, written[email])
            else:
                detail = failed.get(email) or failed.get(sql.idempotency_key.lower())
                results[sql.idempotency_key] = PushResult(
                    "failed", detail or "HubSpot returned no result for this contact"
                )
        return results


class SalesforceClient(CrmClient):
    """Leads updated by Id (the CRM's lead id): Status plus score fields."""

    name = "salesforce"
    PUSH_KEY = "Lead_Scoring_Push_Key__c"

    def record_identity(self, sql):
        return sql.lead_id

    def __init__(
        self, *args, api_version: str = "v62.0", sql_status: str = "Sales Qualified", **kw
    ):
        super().__init__(*args, **kw)
        self.api_version = api_version
        self.sql_status = sql_status

    def read(self, batch):
        query = urllib.parse.urlencode(
            {
                "ids": ",".join(sql.lead_id for sql in batch),
                "fields": f"Id,Status,IsConverted,{self.PUSH_KEY}",
            },
            safe=",",
        )
        body = self.call(
            CrmRequest(
                "GET", f"/services/data/{self.api_version}/composite/sobjects/Lead?{query}", None
            )
        )
        if not isinstance(body, list) or len(body) != len(batch):
            raise HttpError(
                "Salesforce returned an unexpected answer to the Lead read", retryable=True
            )
        states = []
        # The collection comes back in request order, with null for an Id that does not exist.
        for record in body:
            if record is None:
                states.append(PushResult("failed", "no such Lead in Salesforce"))
                continue
            status = record.get("Status") or ""
            blocked = None
            if record.get("IsConverted"):
                blocked = "Salesforce Lead is already converted: not moved back to SQL"
            elif status.lower().startswith("closed"):
                blocked = f"Salesforce Lead status is already {status!r}: not reopened as SQL"
            states.append(CrmState(record.get("Id"), record.get(self.PUSH_KEY), blocked))
        return states

    def write_request(self, batch):
        return CrmRequest(
            "PATCH",
            f"/services/data/{self.api_version}/composite/sobjects",
            {"allOrNone": False, "records": [self.record(sql) for sql in batch]},
        )

    def record(self, sql: SqlToPush) -> dict:
        # Custom fields the org must have (see README); Status must be a Lead Status value.
        return {
            "attributes": {"type": "Lead"},
            "id": sql.lead_id,
            "Status": self.sql_status,
            "Lead_Score__c": _number(sql.total_score),
            "Fit_Score__c": _number(sql.fit_score),
            "Engagement_Score__c": _number(sql.engagement_score),
            "SQL_Reason__c": sql.sql_reason,
            "SQL_Date__c": sql.sql_at,
            self.PUSH_KEY: sql.idempotency_key,
        }

    def write(self, batch):
        body = self.call(self.write_request(batch))
        if not isinstance(body, list) or len(body) != len(batch):
            raise HttpError(
                "Salesforce returned an unexpected answer to the update", retryable=True
            )
        results = {}
        # SaveResults come back in request order.
        for sql, saved in zip(batch, body, strict=True):
            if saved.get("success"):
                results[sql.idempotency_key] = PushResult("sent", None, saved.get("id"))
            else:
                detail = "; ".join(
                    f"{error.get('statusCode')}: {error.get('message')}"
                    for error in saved.get("errors") or []
                )
                results[sql.idempotency_key] = PushResult("failed", detail or "not saved")
        return results


def _results(body: object) -> list[dict]:
    if not isinstance(body, dict):
        raise HttpError("HubSpot returned an answer that is not a JSON object", retryable=True)
    return [record for record in body.get("results") or [] if isinstance(record, dict)]


def _number(value: str | None) -> float | None:
    return None if value in (None, "") else float(value)
