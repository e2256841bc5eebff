"""``GET /v1/entities/{id}``: an entity and its evidenced neighbours."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from service.auth import current_principal, require
from service.blueprints import actions
from service.schemas import EntitySchema
from service.wiring import Services

bp = Blueprint("entities", __name__, description="Entities of the knowledge graph.")


@bp.route("/v1/entities/<path:entity_id>", methods=["GET"])
@require("reader")
@bp.response(200, EntitySchema)
def get_entity(entity_id: str) -> dict[str, Any]:
    """Name, aliases, type and neighbours, each relation with its evidence span.

    Only relations whose evidence chunk the key may read are shown; an entity no
    readable chunk mentions is a 404.
    """
    svc: Services = current_app.extensions["kgrag"]
    return actions.get_entity(svc.store, svc.ontology, entity_id, current_principal())
