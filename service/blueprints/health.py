"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from graph.schema import readiness
from ontology.errors import GraphUnavailable
from service.app import services
from service.errors import problem

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up (no dependency is checked)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Neo4j answers and every index the service reads is ONLINE."""
    svc = services(current_app)
    try:
        ok, detail = readiness(svc.store, svc.index_names())
    except GraphUnavailable as exc:
        return problem(503, exc.type, "Not ready", exc.detail)
    if not ok:
        return problem(503, "not-ready", "Not ready", detail)
    return jsonify(status="ready", indexes=list(svc.index_names().all()))
