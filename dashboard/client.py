"""The dashboard's only way to the control plane: a small typed client over its HTTP API.

Two failures matter to a page: the API cannot be reached (:class:`ApiUnreachable`,
shown as a banner over the last good data) and the API refused or failed the
request (:class:`ApiError`, carrying the problem document's title and detail).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import httpx

PauseScope = Literal["queue", "provider", "company"]
Json = dict[str, Any]


class ApiUnreachable(Exception):
    """No HTTP answer at all (refused, timed out, DNS)."""


class ApiError(Exception):
    """An HTTP error answer; ``detail`` comes from the RFC 9457 problem body when there is one."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Identity:
    subject: str
    role: str
    company_id: str | None

    @property
    def can_act(self) -> bool:
        return self.role == "operator"


def _problem_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        parts = [str(body.get(key)) for key in ("title", "detail") if body.get(key)]
        return ": ".join(parts) or str(body)[:200]
    return str(body)[:200]


class ControlPlaneClient:
    """Synchronous (Streamlit reruns are synchronous); one connection pool per dashboard session."""

    def __init__(self, base_url: str, token: str | None, *, timeout_s: float = 5.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiUnreachable(f"{self._http.base_url}: {exc.__class__.__name__} {exc}") from exc
        if response.status_code >= 400:
            raise ApiError(response.status_code, _problem_detail(response))
        return response

    def _get(self, path: str, **params: Any) -> Json:
        query = {key: value for key, value in params.items() if value is not None}
        body: Json = self._send("GET", path, params=query).json()
        return body

    def _post(self, path: str, body: Json | None = None) -> Json:
        answer: Json = self._send("POST", path, json=body if body is not None else {}).json()
        return answer

    # reads
    def whoami(self) -> Identity:
        body = self._get("/api/v1/ops/whoami")
        return Identity(body["subject"], body["role"], body.get("company_id"))

    def state(self) -> Json:
        return self._get("/api/v1/ops/state")

    def history(self, since: str = "1h", step_s: int | None = None) -> Json:
        return self._get("/api/v1/ops/history", since=since, step_s=step_s)

    def workers(self) -> Json:
        return self._get("/api/v1/ops/workers")

    def autoscaler(self) -> Json:
        return self._get("/api/v1/ops/autoscaler")

    def providers(self) -> Json:
        return self._get("/api/v1/ops/providers")

    def alarms(self) -> Json:
        return self._get("/api/v1/ops/alarms")

    def slo(self, since: str | None = None) -> Json:
        return self._get("/api/v1/ops/slo", since=since)

    def actions(self, limit: int = 20) -> Json:
        return self._get("/api/v1/ops/actions", limit=limit)

    def companies(self) -> list[Json]:
        items: list[Json] = self._get("/api/v1/ops/companies")["items"]
        return items

    def search_jobs(self, **filters: str | int | None) -> list[Json]:
        items: list[Json] = self._get("/api/v1/ops/jobs/search", **filters)["items"]
        return items

    def job(self, job_id: uuid.UUID | str) -> Json:
        return self._get(f"/api/v1/imports/{job_id}")

    def job_events(self, job_id: uuid.UUID | str) -> list[Json]:
        items: list[Json] = self._get(f"/api/v1/imports/{job_id}/events")["items"]
        return items

    def reports(self) -> list[Json]:
        items: list[Json] = self._get("/api/v1/ops/reports")["items"]
        return items

    def report(self, kind: str, run_id: str) -> Json:
        return self._get(f"/api/v1/ops/reports/{kind}/{run_id}")

    def chart(self, kind: str, run_id: str, name: str) -> bytes:
        return self._send("GET", f"/api/v1/ops/reports/{kind}/{run_id}/charts/{name}").content

    def runbooks(self) -> list[str]:
        items: list[str] = self._get("/api/v1/ops/runbooks")["items"]
        return items

    def runbook(self, name: str) -> str | None:
        """The runbook's Markdown, or None when there is none yet."""
        try:
            markdown: str = self._get(f"/api/v1/ops/runbooks/{name}")["markdown"]
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return markdown

    # operator actions
    def pause(self, scope: PauseScope, reason: str, target: str | None = None) -> Json:
        return self._post("/api/v1/ops/pause", {"scope": scope, "target": target, "reason": reason})

    def resume(self, scope: PauseScope, reason: str, target: str | None = None) -> Json:
        return self._post("/api/v1/ops/resume", {"scope": scope, "target": target, "reason": reason})

    def retry_job(self, job_id: str) -> Json:
        return self._post(f"/api/v1/imports/{job_id}/retry")

    def cancel_job(self, job_id: str) -> Json:
        return self._post(f"/api/v1/imports/{job_id}/cancel")

    def drain_worker(self, worker_id: str, reason: str) -> Json:
        return self._post(f"/api/v1/ops/workers/{quote(worker_id, safe='')}/drain", {"reason": reason})

    def retry_dead(self, company_id: str | None = None, provider: str | None = None) -> Json:
        body = {key: value for key, value in (("company_id", company_id), ("provider", provider)) if value}
        return self._post("/api/v1/ops/retry-dead", body)
