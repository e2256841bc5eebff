"""The OpenAPI 3.1 document, the docs page and ``/metrics``.

flask-smorest builds the spec from the marshmallow schemas the views validate
with.  Its own error handler is switched off: ``service.errors`` answers every
error as ``application/problem+json``, and the spec says so (the ``default``
response of every operation is a :class:`ProblemSchema`).
"""

from __future__ import annotations

import http
from typing import Any

from flask import Flask, current_app
from flask.typing import ResponseReturnValue
from flask_smorest import Api, Blueprint

from service.auth import authorize, login, require
from service.errors import PROBLEM_JSON
from service.observability import metrics_response
from service.schemas import ProblemSchema, StatusSchema, VersionsSchema

API_VERSION = "1.0.0"
SWAGGER_UI_CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
DESCRIPTION = (
    "Knowledge-graph-augmented retrieval with checkable provenance. Authenticate with "
    "`Authorization: Bearer kg_<id>_<secret>` (create keys with `kgrag keys create`). "
    "Every error is `application/problem+json` (RFC 9457)."
)

bp = Blueprint("meta", __name__, description="Service metrics and versions.")


class KgragApi(Api):
    """flask-smorest's Api with problem+json error responses and no error handler."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """service.errors.register_error_handlers answers every error."""

    def _register_responses(self) -> None:
        def problem_response(description: str) -> dict[str, Any]:
            return {"description": description,
                    "content": {PROBLEM_JSON: {"schema": ProblemSchema}}}

        for status in http.HTTPStatus:
            if 100 <= status < 200 or status in (204, 304):
                response: dict[str, Any] = {"description": status.phrase}
            else:
                response = problem_response(status.phrase)
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            problem_response("An error, as RFC 9457 problem details."), lazy=True)


def configure(app: Flask) -> KgragApi:
    """Attach the Api (spec at /openapi.json, Swagger UI at /docs) to ``app``."""
    app.config.update(
        API_TITLE="kgrag", API_VERSION=API_VERSION, OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/", OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs", OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_CDN,
        API_SPEC_OPTIONS={"info": {"description": DESCRIPTION}},
    )
    api = KgragApi(app)
    api.spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer", "bearerFormat": "kg_<id>_<secret>"})
    return api


def document_health(app: Flask, api: KgragApi) -> None:
    """/healthz and /readyz are plain Flask views (service.blueprints.health)."""

    def rule(endpoint: str) -> Any:
        return next(app.url_map.iter_rules(endpoint))

    ok = {"description": "OK", "content": {"application/json": {"schema": StatusSchema}}}
    problem = {"description": "Not ready", "content": {PROBLEM_JSON: {"schema": ProblemSchema}}}
    api.spec.path(rule=rule("health.healthz"), operations={"get": {
        "tags": ["health"], "summary": "The process is up.", "security": [],
        "responses": {"200": ok}}})
    api.spec.path(rule=rule("health.readyz"), operations={"get": {
        "tags": ["health"], "summary": "Neo4j answers and every index is ONLINE.",
        "security": [], "responses": {"200": ok, "503": problem}}})
    api.spec.tag({"name": "health", "description": "Liveness and readiness."})


@bp.route("/metrics", methods=["GET"])
@bp.doc(security=[{}, {"bearerAuth": []}], responses={"200": {
    "description": "Prometheus text exposition.",
    "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics_view() -> ResponseReturnValue:
    """Prometheus metrics; public unless ``KGRAG_METRICS_PUBLIC=false`` (then admin only)."""
    if not current_app.extensions["kgrag.settings"].metrics_public:
        authorize(login(), "admin")
    return metrics_response()


@bp.route("/v1/versions", methods=["GET"])
@bp.response(200, VersionsSchema)
@bp.doc(security=[{"bearerAuth": []}])
@require("reader")
def versions_view() -> dict[str, object]:
    """What answers now: the active embedding space, models, ontology, pipeline and
    prompt versions (readers)."""
    from service.app import services
    from service.governance import current_versions

    return current_versions(services(current_app))
