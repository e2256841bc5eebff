"""The kgrag error tree.

It lives in the lowest layer (``ontology``) so that every package can raise
from it without breaking the dependency direction service -> graph -> ontology::

    KgragError                      (type "internal", 500)
    ├── OntologyError               bad ontology file, unknown class/relation (422)
    ├── InvalidInputError           a request or file we cannot accept (400/422)
    │   ├── DocumentRejected        a source document that cannot be ingested (422)
    │   └── PayloadTooLarge         over a configured size limit (413)
    ├── NotFoundError               unknown document/entity/audit id (404)
    ├── AuthError                   missing or bad credentials (401)
    │   └── ForbiddenError          valid principal, missing role (403)
    ├── ConflictError               a state that forbids the action (409)
    ├── GraphUnavailable            Neo4j cannot be reached (503, Retry-After)
    ├── ModelError                  a model could not be loaded or failed (503)
    └── GenerationError             the LLM provider failed after retries (502)

Each class carries a stable ``type`` slug, a ``title`` and an HTTP ``status``;
``service/errors.py`` maps them to RFC 9457 problem+json, the CLI to one line.
"""

from __future__ import annotations

from typing import Any, ClassVar


class KgragError(Exception):
    """Root of every error kgrag raises on purpose."""

    type: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal error"
    status: ClassVar[int] = 500

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class OntologyError(KgragError):
    type = "ontology-error"
    title = "Ontology error"
    status = 422


class InvalidInputError(KgragError):
    type = "invalid-input"
    title = "Invalid input"
    status = 400


class DocumentRejected(InvalidInputError):
    type = "document-rejected"
    title = "Document rejected"
    status = 422


class PayloadTooLarge(InvalidInputError):
    type = "payload-too-large"
    title = "Payload too large"
    status = 413


class NotFoundError(KgragError):
    type = "not-found"
    title = "Not found"
    status = 404


class AuthError(KgragError):
    type = "unauthorized"
    title = "Unauthorized"
    status = 401


class ForbiddenError(AuthError):
    type = "forbidden"
    title = "Forbidden"
    status = 403


class ConflictError(KgragError):
    type = "conflict"
    title = "Conflict"
    status = 409


class GraphUnavailable(KgragError):
    type = "graph-unavailable"
    title = "Graph database unavailable"
    status = 503


class ModelError(KgragError):
    type = "model-error"
    title = "Model unavailable"
    status = 503


class GenerationError(KgragError):
    type = "generation-error"
    title = "Generation failed"
    status = 502
