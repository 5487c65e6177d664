"""One HTTP call to a provider: rate limited, behind the breaker, timed out, classified.

Retryable failures (429, 5xx, timeouts, resets) are retried here a few times
with the provider's Retry-After or a capped backoff (the loop and its pauses
are tenacity's; how long to wait and when to give up are decided here); what
is still failing is raised as :class:`RetryableProviderError` so the job is
deferred, not failed.
Bad credentials, a missing account or a malformed request fail at once.

Provider bodies are untrusted input: each one is streamed and cut at a byte
limit (counted after content decoding, so a gzip bomb is cut too) and must
arrive within a total time, so an enormous or endless body fails the call
instead of exhausting a worker's memory or holding it forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import msgspec

from control_plane.domain.ops import TRANSPORT_ERROR
from control_plane.integrations.providers.base import (
    AccountRefused,
    PermanentProviderError,
    ProviderError,
    RetryableProviderError,
)
from control_plane.integrations.providers.retrying import (
    CallTries,
    RetryPolicy,
    TryAgain,
    retry_after_seconds,
    retrying,
)


class CallGuard(Protocol):
    """Admission for one provider call: waits for a rate-limit token, checks the breaker."""

    async def before_call(self) -> None: ...

    async def succeeded(self) -> None: ...

    async def failed(self, reason: str) -> None: ...


class CallObserver(Protocol):
    """Counts provider calls for metrics; must never raise into the call path."""

    async def call_finished(self, provider: str, status: str) -> None: ...

    async def rate_limit_waited(self, provider: str) -> None: ...


@dataclass(frozen=True)
class BodyLimits:
    """Bounds on one provider response body."""

    max_bytes: int = 32 * 1024 * 1024
    """Far above a real page (250 products with 100 variants each is a few MB)."""
    total_timeout_s: float = 120.0
    """From sending the request to the body's last byte; a trickling body cannot hold a worker forever."""


class ResponseTooLarge(PermanentProviderError):
    """The body passed :attr:`BodyLimits.max_bytes`: the provider breaks its contract, retrying will not help."""


_REFUSALS = {
    401: "the provider rejected the credentials (check the integration's token or API key)",
    403: "the provider rejected the credentials (check the integration's token or API key)",
    402: "the shop is frozen for an unpaid bill",
    404: "the provider account or resource does not exist",
    423: "the shop is locked",
}
"""The answers meaning this credential or account will not be served, whatever is retried."""


def _permanent_for(response: httpx.Response, provider: str) -> PermanentProviderError:
    status = response.status_code
    if (reason := _REFUSALS.get(status)) is not None:
        return AccountRefused(f"{provider}: HTTP {status}: {reason}", status=status)
    reason = f"the provider refused the request: {response.text[:300]}"
    return PermanentProviderError(f"{provider}: HTTP {status}: {reason}", status=status)


class ProviderTransport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        guard: CallGuard,
        *,
        provider: str,
        policy: RetryPolicy | None = None,
        observer: CallObserver | None = None,
        limits: BodyLimits | None = None,
    ) -> None:
        self._http = http
        self._limits = limits or BodyLimits()
        self._guard = guard
        self._provider = provider
        self._policy = policy or RetryPolicy()
        self._observer = observer

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """The first 2xx response; raises a classified ProviderError otherwise."""
        tries = CallTries()
        response: httpx.Response = await retrying()(self._try_once, tries, method, url, dict(headers), params, json)
        return response

    async def _try_once(
        self,
        tries: CallTries,
        method: str,
        url: str,
        headers: dict[str, str],
        params: Mapping[str, Any] | None,
        json: Any,
    ) -> httpx.Response:
        """One call: the response, ``TryAgain`` with the pause before the next try, or a ProviderError."""
        await self._guard.before_call()
        try:
            response = await self._bounded(method, url, headers=headers, params=params, json=json)
        except httpx.TransportError as exc:  # timeouts, resets, refused connections
            await self._observe(TRANSPORT_ERROR)
            raise await self._on_failure(f"{type(exc).__name__}: {exc}", tries, None) from exc
        await self._observe(str(response.status_code))
        if response.status_code == 429:
            raise await self._wait_out_throttle(response, tries)
        if response.status_code >= 500:
            raise await self._on_failure(f"HTTP {response.status_code}", tries, response)
        if response.status_code >= 400:
            await self._guard.succeeded()  # the provider is up; the request is wrong
            raise _permanent_for(response, self._provider)
        await self._guard.succeeded()
        return response

    async def _bounded(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The response with its whole body read, within the byte and time limits."""
        limits = self._limits
        try:
            async with asyncio.timeout(limits.total_timeout_s):
                async with self._http.stream(method, url, **kwargs) as streamed:
                    body = await _read_capped(streamed, limits.max_bytes, self._provider)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(f"no complete response within {limits.total_timeout_s:g}s") from exc
        headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in _DECODED_AWAY]
        return httpx.Response(streamed.status_code, headers=headers, content=body, request=streamed.request)

    async def _observe(self, status: str) -> None:
        if self._observer is not None:
            await self._observer.call_finished(self._provider, status)

    async def _on_failure(self, reason: str, tries: CallTries, response: httpx.Response | None) -> TryAgain:
        """Another try after a backoff, or RetryableProviderError once the tries are spent."""
        await self._guard.failed(reason)
        tries.failures += 1
        if tries.failures >= self._policy.attempts:
            status = response.status_code if response is not None else None
            raise RetryableProviderError(
                f"{self._provider}: {reason} after {tries.failures} attempts", status=status, retry_after_s=5.0
            )
        return TryAgain(self._policy.backoff(tries.failures))

    async def _wait_out_throttle(self, response: httpx.Response, tries: CallTries) -> TryAgain:
        """Honour Retry-After (or back off when the provider sends none), within a budget."""
        tries.throttles += 1
        delay = retry_after_seconds(response) or self._policy.backoff(tries.throttles)
        if tries.throttled_s + delay > self._policy.throttle_budget_s:
            raise RetryableProviderError(
                f"{self._provider}: still throttled (HTTP 429) after waiting {tries.throttled_s:.0f}s",
                status=429,
                retry_after_s=delay,
            )
        if self._observer is not None:
            await self._observer.rate_limit_waited(self._provider)
        tries.throttled_s += delay
        return TryAgain(delay)


_DECODED_AWAY = frozenset({"content-encoding", "content-length", "transfer-encoding"})
"""Headers describing the wire form of a body we have already decoded."""


async def _read_capped(response: httpx.Response, limit: int, provider: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ResponseTooLarge(f"{provider}: response of {declared} bytes exceeds the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(f"{provider}: response body exceeds the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def json_body(response: httpx.Response, provider: str) -> Any:
    """Decode a provider's JSON body; anything else (or JSON nested too deep to parse) breaks the contract.

    msgspec decodes a page about twice as fast as the standard library and gives the same values for any
    UTF-8 JSON; whatever it refuses (other encodings, NaN, numbers out of float range, nesting past its
    recursion limit) is decoded by the standard library instead, so the outcome is the standard library's.
    """
    try:
        body = msgspec.json.decode(response.content)
    except (msgspec.DecodeError, RecursionError):
        body = _stdlib_body(response, provider)
    if _nested_deeper_than(body, MAX_JSON_DEPTH):
        raise _too_deep(response, provider)
    return body


def _stdlib_body(response: httpx.Response, provider: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise PermanentProviderError(f"{provider}: the response is not JSON", status=response.status_code) from exc
    except RecursionError as exc:
        raise _too_deep(response, provider) from exc


def _too_deep(response: httpx.Response, provider: str) -> PermanentProviderError:
    detail = f"{provider}: the response's JSON is nested deeper than {MAX_JSON_DEPTH} levels"
    return PermanentProviderError(detail, status=response.status_code)


MAX_JSON_DEPTH = 64
"""Real product payloads nest about six levels; deeper is hostile and would exhaust recursion downstream."""


_CONTAINERS = (dict, list)


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether any container in ``value`` sits more than ``limit`` levels down (iterative: no recursion).

    Level by level, keeping only the containers of each level: scalars, the bulk of a page, are
    filtered in one comprehension per container instead of one stack entry each.
    """
    level = [value] if isinstance(value, _CONTAINERS) else []
    for _ in range(limit):
        below: list[Any] = []
        for item in level:
            below += [
                child for child in (item.values() if isinstance(item, dict) else item) if isinstance(child, _CONTAINERS)
            ]
        if not below:
            return False
        level = below
    return True


def require(condition: bool, provider: str, what: str) -> None:
    if not condition:
        raise PermanentProviderError(f"{provider}: unexpected response shape: {what}")


__all__ = [
    "BodyLimits",
    "CallGuard",
    "CallObserver",
    "ProviderError",
    "ProviderTransport",
    "ResponseTooLarge",
    "RetryPolicy",
    "json_body",
    "require",
]
