"""RFC 9457 problem+json for every 4xx/5xx: never a traceback or an HTML page."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException

from ontology.errors import AuthError, ForbiddenError, GraphUnavailable, KgragError
from service.schemas import flatten_errors

log = logging.getLogger("kgrag.service")
PROBLEM_BASE = "https://kgrag.dev/problems/"
PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 5

# Slugs for the HTTP errors werkzeug and webargs raise, matched to ours where one exists.
_HTTP_SLUGS = {400: "bad-request", 404: "not-found", 405: "method-not-allowed",
               413: "payload-too-large", 415: "unsupported-media-type",
               422: "validation-error"}


def problem(status: int, type_: str, title: str, detail: str,
            headers: Mapping[str, str] | None = None, **extra: Any) -> Response:
    """A problem+json response; ``request_id`` is added when the request has one."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    body["request_id"] = g.get("request_id")
    body.update({k: v for k, v in extra.items() if v is not None})
    body = {k: v for k, v in body.items() if v is not None}
    resp = Response(json.dumps(body, default=str), status=status, mimetype=PROBLEM_JSON)
    if status == 503:
        resp.headers["Retry-After"] = str(RETRY_AFTER_S)
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def kgrag_problem(exc: KgragError) -> Response:
    extra = dict(exc.extra)
    headers: dict[str, str] = {}
    if isinstance(exc, AuthError) and not isinstance(exc, ForbiddenError):
        invalid = extra.pop("invalid", False)
        headers["WWW-Authenticate"] = ('Bearer realm="kgrag"'
                                       + (', error="invalid_token"' if invalid else ""))
    return problem(exc.status, exc.type, exc.title, exc.detail, headers=headers, **extra)


def http_problem(exc: HTTPException) -> Response:
    """werkzeug's and webargs' HTTP errors (404, 405, 413, malformed JSON, 422)."""
    status = exc.code or 500
    slug = _HTTP_SLUGS.get(status) or (exc.name or "error").lower().replace(" ", "-")
    data = getattr(exc, "data", None) or {}
    detail = exc.description or ""
    errors = None
    if "messages" in data:
        errors = flatten_errors(data["messages"])
        if status == 400:
            detail = "the request body is not valid JSON"
        else:
            detail = "the request does not match the schema: " + "; ".join(
                f"{e['field'] or e['in']}: {' '.join(e['messages'])}" for e in errors)
    # Keep the protocol headers werkzeug computed (Allow on 405), not its HTML content type.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return problem(status, slug, exc.name or "Error", detail, headers=headers, errors=errors)


_LOCATIONS = frozenset({"json", "query", "files", "form", "headers", "view_args"})


def validation_problem(exc: ma.ValidationError) -> Response:
    """A marshmallow error: its messages keyed by location (``{"json": ...}``) or not."""
    messages = exc.messages
    keyed = isinstance(messages, dict) and messages and set(messages) <= _LOCATIONS
    errors = flatten_errors(messages, None if keyed else "json")
    detail = "the request does not match the schema: " + "; ".join(
        f"{e['field'] or e['in']}: {' '.join(e['messages'])}" for e in errors)
    return problem(422, "validation-error", "Unprocessable Content", detail, errors=errors)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(KgragError)
    def _kgrag(exc: KgragError) -> Response:
        if isinstance(exc, GraphUnavailable):
            log.warning("graph unavailable: %s", exc.detail)
        elif exc.status >= 500:
            log.error("%s: %s", exc.type, exc.detail)
        return kgrag_problem(exc)

    @app.errorhandler(ma.ValidationError)
    def _invalid(exc: ma.ValidationError) -> Response:
        return validation_problem(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return http_problem(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "internal", "Internal error", "an unexpected error occurred; "
                       "the request id in the logs identifies it")
