"""``GET /v1/audit/{audit_id}``, and recording the audit of each retrieve/query.

The audit store (``graph.audit``) and the PROV-O export (``ontology.prov``) are
imported when first used: without them, retrieval still answers (``audit_id``
null) and this endpoint says 501.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint

from ontology.errors import KgragError, NotFoundError
from service.auth import Principal, current_principal, require
from service.schemas import AuditQuery, AuditSchema
from service.wiring import Services

bp = Blueprint("audit", __name__, description="Audit records of queries, with PROV-O export.")


class NotImplementedFeature(KgragError):
    type = "not-implemented"
    title = "Not implemented"
    status = 501


def _missing(exc: ModuleNotFoundError, module: str) -> bool:
    return exc.name is not None and (exc.name == module or module.startswith(exc.name + "."))


def record(svc: Services, principal: Principal, *, question: str, params: dict[str, Any],
           retrieval: dict[str, Any], answer: dict[str, Any] | None) -> str | None:
    """Persist the audit record of one retrieve/query; None when auditing is not installed."""
    try:
        from graph.audit import record_audit
    except ModuleNotFoundError as exc:
        if _missing(exc, "graph.audit"):
            return None
        raise
    from graph.ingest.pipeline import PIPELINE_VERSION

    versions = {
        # The space the retrieval read (resolved at its start), not the configured model.
        "embedding_model": str(retrieval.get("embedding_model") or svc.embedder.get().model_id),
        "embedding_space": str(retrieval.get("space") or retrieval.get("embedding_space", "")),
        "pipeline_version": PIPELINE_VERSION,
        "spacy_model": svc.extractor.get().model_id,
        "ontology": svc.ontology.version,
        "ontology_version": svc.ontology.version,  # the name graph.audit keeps on the Query
        "prompt_version": (answer or {}).get("prompt_version", ""),
        "generator": (answer or {}).get("generator", ""),
        "model": (answer or {}).get("model", ""),
        "embedding_index": str(retrieval.get("index") or retrieval.get("embedding_index", "")),
    }
    audit_id: str = record_audit(svc.store, question=question, principal=principal.name,
                                 groups=list(principal.acl_groups), params=params,
                                 retrieval=retrieval, answer=answer,
                                 versions=versions)
    return audit_id


def _asker(audit: dict[str, Any]) -> str | None:
    query = audit.get("query")
    if isinstance(query, dict) and query.get("principal"):
        return str(query["principal"])
    found = audit.get("principal")
    return str(found) if found else None


_FORMATS = {"prov-ttl": ("turtle", "text/turtle"),
            "prov-jsonld": ("json-ld", "application/ld+json")}
_AUDIT_200 = {"200": {"description": "The audit record (JSON), or its PROV-O export.",
                      "content": {"application/json": {"schema": AuditSchema},
                                  "text/turtle": {"schema": {"type": "string"}},
                                  "application/ld+json": {"schema": {}}}}}


@bp.route("/v1/audit/<path:audit_id>", methods=["GET"])
@require("reader")
@bp.arguments(AuditQuery, location="query")
@bp.doc(responses=_AUDIT_200)
def get_audit_record(args: dict[str, Any], audit_id: str) -> ResponseReturnValue:
    """Read an audit record: admins any, others only the queries they asked."""
    try:
        from graph.audit import get_audit
    except ModuleNotFoundError as exc:
        if _missing(exc, "graph.audit"):
            raise NotImplementedFeature("audit records are not available in this build") from None
        raise
    principal = current_principal()
    svc: Services = current_app.extensions["kgrag"]
    audit: dict[str, Any] = get_audit(svc.store, audit_id, list(principal.acl_groups),
                                      admin=principal.is_admin)
    if not principal.is_admin and _asker(audit) != principal.name:
        raise NotFoundError(f"no audit record with id {audit_id!r}")
    fmt = args["format"]
    if fmt == "json":
        return jsonify(audit)
    try:
        from ontology.prov import prov_export
    except ModuleNotFoundError as exc:
        if _missing(exc, "ontology.prov"):
            raise NotImplementedFeature("PROV-O export is not available in this build") from None
        raise
    rdf_format, mimetype = _FORMATS[fmt]
    return Response(prov_export(audit, rdf_format), mimetype=mimetype)
