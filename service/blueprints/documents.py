"""``/v1/documents``: ingest (JSON or a file upload), read, delete."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import marshmallow as ma
from flask import current_app, request
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from service.auth import current_principal, require
from service.blueprints import actions
from service.schemas import DocumentRequest, DocumentSchema, IngestResultSchema, UploadRequest
from service.wiring import Services

bp = Blueprint("documents", __name__, description="Documents: ingest, read, delete.")

_BODY = {"required": True, "content": {
    "application/json": {"schema": DocumentRequest},
    "multipart/form-data": {"schema": UploadRequest}}}


def _services() -> Services:
    svc: Services = current_app.extensions["kgrag"]
    return svc


def _parse_upload(svc: Services) -> list[Any]:
    """The documents of a multipart upload: exactly one part, named ``file``."""
    extra = [k for k in (*request.files.keys(), *request.form.keys()) if k != "file"]
    if extra or "file" not in request.files:
        messages = {k: ["Unknown field."] for k in extra}
        if "file" not in request.files:
            messages["file"] = ["Missing data for required field."]
        raise ma.ValidationError({"files": messages})
    upload = request.files["file"]
    data = upload.stream.read(svc.settings.max_document_bytes + 1)
    return actions.documents_from_upload(upload.filename or "upload", data, svc)


@bp.route("/v1/documents", methods=["POST"])
@require("ingester")
@bp.doc(requestBody=_BODY)
@bp.response(201, IngestResultSchema, description="At least one document is new or changed.")
@bp.alt_response(200, schema=IngestResultSchema, success=True,
                 description="Every document was already stored unchanged.")
def post_document() -> ResponseReturnValue:
    """Ingest one document (JSON) or an uploaded file (``.md .txt .html .pdf .jsonl``).

    The document's ACL groups must be the key's own groups (``public`` included),
    unless the key is an admin's.
    """
    svc = _services()
    if request.mimetype == "multipart/form-data":
        docs = _parse_upload(svc)
    elif request.is_json:
        try:
            raw = json.loads(request.get_data(cache=True))
        except ValueError:
            raise BadRequest("the request body is not valid JSON") from None
        try:
            body = DocumentRequest().load(raw)
        except ma.ValidationError as exc:
            raise ma.ValidationError({"json": exc.messages}) from None
        docs = actions.documents_from_json(body, svc)
    else:
        raise UnsupportedMediaType("send application/json or a multipart/form-data upload "
                                   "with a 'file' part")
    result = actions.ingest_documents(docs, svc, current_principal())
    headers = ({"Location": "/v1/documents/" + quote(docs[0].id, safe="/")}
               if len(docs) == 1 else {})
    return result.as_dict(), 201 if result.changed else 200, headers


@bp.route("/v1/documents/<path:doc_id>", methods=["GET"])
@require("reader")
@bp.response(200, DocumentSchema)
def get_document(doc_id: str) -> dict[str, Any]:
    """A document's metadata and counts (404 also when the key may not read it)."""
    return actions.get_document(_services().store, doc_id, current_principal())


@bp.route("/v1/documents/<path:doc_id>", methods=["DELETE"], endpoint="remove")
@require("ingester")
@bp.response(204)
def delete_document(doc_id: str) -> None:
    """Remove a document and everything derived only from it."""
    actions.remove_document(_services().store, doc_id, current_principal())
