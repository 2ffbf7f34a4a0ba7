"""JSON over HTTP for the CRM clients and the chat webhook: timeouts, retries, no leaks.

Retries use exponential backoff with full jitter on 429, 5xx, timeouts and refused
connections, and honour `Retry-After`. Error messages name the method and path only: a URL
may carry a secret (a Slack webhook URL does), and headers carry the token.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass


class HttpError(Exception):
    """A request that did not succeed; `retryable` says whether a later run may succeed."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = True):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class AuthError(HttpError):
    """401 or 403: the token is missing, wrong or lacks a scope. No retry helps."""


@dataclass(frozen=True)
class RetryPolicy:
    timeout_seconds: float = 10.0
    max_retries: int = 4
    backoff_base_seconds: float = 0.5
    # A server asking us to wait longer than this is retried next run instead.
    backoff_max_seconds: float = 60.0

    def delay(self, retry: int, retry_after: float | None) -> float:
        # Full jitter: clients that failed together do not retry together.
        backoff = random.uniform(
            0, min(self.backoff_max_seconds, self.backoff_base_seconds * 2**retry)
        )
        return backoff if retry_after is None else max(backoff, retry_after)


DEFAULT_POLICY = RetryPolicy()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would replay the Authorization header to wherever a redirect points.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def request_json(
    method: str,
    url: str,
    label: str,
    body: object | None = None,
    headers: dict[str, str] | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, object]:
    """Send one JSON request, retrying what may succeed later; return (status, parsed body).

    `label` names the request in errors and logs (e.g. "POST /crm/v3/objects/contacts/batch/read").
    """
    data = None if body is None else json.dumps(body).encode("utf-8")
    all_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    problem = ""
    for retry in range(policy.max_retries + 1):
        retry_after = None
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with _opener.open(request, timeout=policy.timeout_seconds) as response:
                return response.status, _parse(response.read())
        except urllib.error.HTTPError as error:
            detail = _parse(error.read())
            if error.code in (401, 403):
                raise AuthError(
                    f"{label}: HTTP {error.code} (check the token and its scopes)",
                    error.code,
                    retryable=False,
                ) from None
            if error.code != 429 and error.code < 500:
                raise HttpError(
                    f"{label}: HTTP {error.code} {_short(detail)}", error.code, retryable=False
                ) from None
            problem = f"HTTP {error.code}"
            retry_after = parse_retry_after(error.headers.get("Retry-After"))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            problem = f"{type(reason).__name__}: {reason}"
        if retry == policy.max_retries:
            break
        wait = policy.delay(retry, retry_after)
        if wait > policy.backoff_max_seconds:
            raise HttpError(f"{label}: {problem}, asked to wait {wait:.0f} s; retrying next run")
        sleep(wait)
    raise HttpError(f"{label}: {problem} after {policy.max_retries + 1} attempts")


def _parse(raw: bytes) -> object:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def _short(detail: object) -> str:
    return json.dumps(detail)[:300] if detail is not None else ""
