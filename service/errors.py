"""RFC 9457 problem+json for every 4xx/5xx: never a traceback or an HTML page."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from ontology.errors import GraphUnavailable, KgragError

log = logging.getLogger("kgrag.service")
PROBLEM_BASE = "https://kgrag.dev/problems/"
RETRY_AFTER_S = 5


def problem(status: int, type_: str, title: str, detail: str, **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    resp = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    if status == 503:
        resp.headers["Retry-After"] = str(RETRY_AFTER_S)
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(KgragError)
    def _kgrag(exc: KgragError) -> Response:
        if isinstance(exc, GraphUnavailable):
            log.warning("graph unavailable: %s", exc.detail)
        elif exc.status >= 500:
            log.error("%s: %s", exc.type, exc.detail)
        return problem(exc.status, exc.type, exc.title, exc.detail, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        status = exc.code or 500
        slug = (exc.name or "error").lower().replace(" ", "-")
        return problem(status, slug, exc.name or "Error", exc.description or "")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "internal", "Internal error", "an unexpected error occurred; "
                       "the request id in the logs identifies it")
