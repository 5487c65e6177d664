"""The ``Allow`` header of an ``OPTIONS`` answer lists every method of the path (a ``before_send`` hook).

Litestar 2 answers ``OPTIONS`` itself, but on a path served by several handlers
(``GET`` and ``POST /api/v1/imports``) its answer lists only the first handler's
methods (litestar#4169, fixed in Litestar 3). The route itself knows them all, as
its ``405`` answers show; this hook puts the route's list on the ``OPTIONS``
answer too, so the header always matches the OpenAPI document.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_204_NO_CONTENT
from litestar.types import Message, Scope


def list_every_method(message: Message, scope: Scope) -> None:
    """On the framework's ``204`` answer to ``OPTIONS``, set ``Allow`` to every method of the matched route."""
    if message["type"] != "http.response.start" or message["status"] != HTTP_204_NO_CONTENT:
        return
    if scope.get("method") != "OPTIONS" or (template := scope.get("path_template")) is None:
        return
    headers = MutableScopeHeaders.from_message(message)
    if "Allow" not in headers:
        return
    methods = {
        method
        for route in scope["app"].routes
        if isinstance(route, HTTPRoute) and route.path_format == template
        for method in route.methods
    }
    if methods:
        headers["Allow"] = ", ".join(sorted(methods))
