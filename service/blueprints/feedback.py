"""``POST /v1/feedback``: a rating of an audited answer."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from service.auth import current_principal, require
from service.blueprints import actions
from service.schemas import FeedbackRequest, FeedbackSchema
from service.wiring import Services

bp = Blueprint("feedback", __name__, description="Feedback on answers.")


@bp.route("/v1/feedback", methods=["POST"])
@require("reader")
@bp.arguments(FeedbackRequest)
@bp.response(201, FeedbackSchema)
def post_feedback(args: dict[str, Any]) -> dict[str, Any]:
    """Rate (1-5) the answer of an audit record the key asked for."""
    svc: Services = current_app.extensions["kgrag"]
    return actions.add_feedback(svc.store, audit_id=args["audit_id"], rating=args["rating"],
                                comment=args.get("comment"), principal=current_principal())
