"""``GET /_sim/bulk/{shop}/{n}.jsonl``: a bulk operation's result file, like Shopify's signed storage URL.

No access token (the URL itself is the credential, as with Shopify's
signed URLs); HTTP ``Range`` requests get ``206 Partial Content`` so a
client can resume a large download; once the operation has expired the URL
answers 403, as an expired signed URL does.
"""

from __future__ import annotations

import re

from litestar import Response

from control_plane.domain.providers import Provider
from loadtests.simulator.responses import AnyRequest, json_response, recorded
from loadtests.simulator.shopify_bulk import Status
from loadtests.simulator.state import Simulator

ENDPOINT = "shopify.bulk_file"
JSONL = "application/jsonl"
_NAME = re.compile(r"^(\d+)\.jsonl$")
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _ranged(data: bytes, header: str | None) -> Response[bytes]:
    """The whole file, or the one byte range asked for (416 when it lies outside the file)."""
    headers = {"Accept-Ranges": "bytes"}
    matched = _RANGE.match(header.strip()) if header else None
    if matched is None or (not matched.group(1) and not matched.group(2)):
        return Response(content=data, status_code=200, media_type=JSONL, headers=headers)
    size = len(data)
    first, last = matched.groups()
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        return Response(content=b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(content=data[start : end + 1], status_code=206, media_type=JSONL, headers=headers)


def serve(sim: Simulator, request: AnyRequest, shop: str, name: str) -> Response[bytes]:
    state = sim.account(Provider.SHOPIFY, shop)
    matched = _NAME.match(name)
    operation = state.bulk.by_number(int(matched.group(1))) if matched else None
    if operation is None or operation.jsonl is None:
        return recorded(state, ENDPOINT, json_response({"error": "no such file"}, 404))
    if operation.status(sim.clock.now()) is not Status.COMPLETED:
        return recorded(state, ENDPOINT, json_response({"error": "Request has expired"}, 403))
    return recorded(state, ENDPOINT, _ranged(operation.jsonl, request.headers.get("range")))
