"""``POST /v1/retrieve`` (evidence and paths) and ``POST /v1/query`` (guarded answer)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from graph.retrieve.pipeline import retrieve
from graph.retrieve.types import Mode, RetrieveParams
from service.auth import current_principal, require
from service.blueprints.audit import record
from service.observability import observe_guards, observe_retrieval
from service.qa import ask, retrieve_ports
from service.schemas import AnswerSchema, QueryRequest, RetrievalSchema, RetrieveRequest
from service.wiring import Services

bp = Blueprint("search", __name__, description="Retrieval and question answering.")


def _params(args: dict[str, Any], groups: tuple[str, ...]) -> RetrieveParams:
    return RetrieveParams(k=args["k"], mode=Mode(args["mode"]), hops=args["hops"], groups=groups)


@bp.route("/v1/retrieve", methods=["POST"])
@require("reader")
@bp.arguments(RetrieveRequest)
@bp.response(200, RetrievalSchema)
def retrieve_view(args: dict[str, Any]) -> dict[str, Any]:
    """Evidence chunks for a question, each with the provenance paths that explain it.

    Only chunks of documents readable by the key's groups are searched, traversed or shown.
    """
    svc: Services = current_app.extensions["kgrag"]
    principal = current_principal()
    result = retrieve(args["question"], retrieve_ports(svc), _params(args, principal.acl_groups))
    observe_retrieval(result.timings_ms, result.mode.value)
    body = result.as_dict()
    body["audit_id"] = record(svc, principal, question=result.question, retrieval=body,
                              answer=None, params={k: args[k] for k in ("k", "mode", "hops")})
    return body


@bp.route("/v1/query", methods=["POST"])
@require("reader")
@bp.arguments(QueryRequest)
@bp.response(200, AnswerSchema)
def query_view(args: dict[str, Any]) -> dict[str, Any]:
    """A guarded, cited answer from the evidence the key may read (or an abstention)."""
    svc: Services = current_app.extensions["kgrag"]
    principal = current_principal()
    result = ask(args["question"], svc, _params(args, principal.acl_groups),
                 n_candidates=args["n_candidates"])
    body = result.as_dict()
    observe_retrieval(result.retrieval.timings_ms, result.retrieval.mode.value)
    observe_guards(body["guards"])
    body["audit_id"] = record(
        svc, principal, question=result.retrieval.question, retrieval=result.retrieval.as_dict(),
        answer=body, params={k: args[k] for k in ("k", "mode", "hops", "n_candidates")})
    return body
