"""What the v1 views call: one function per operation, no Flask in here.

Each takes the app's :class:`Services` (or its store) and the caller's
:class:`Principal`, applies the access rules and returns plain dicts ready to
serialize.  Access rules: a principal reads only documents, chunks and relation
evidence whose ACL shares a group with it (``public`` always); what it may not
read answers 404, as if it did not exist.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from graph.ingest.load import document_from_mapping, load_bytes
from graph.model import SourceDocument
from graph.ports import GraphStore
from ontology import Ontology
from ontology.errors import DocumentRejected, ForbiddenError, NotFoundError
from service.auth import Principal
from service.wiring import Services

MAX_UPLOAD_DOCUMENTS = 100
MAX_NEIGHBOURS = 100


@dataclass(frozen=True, slots=True)
class IngestResult:
    documents: list[dict[str, Any]]
    run_id: str
    changed: bool  # at least one document was new or changed

    def as_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "run_id": self.run_id}


def documents_from_json(body: dict[str, Any], svc: Services) -> list[SourceDocument]:
    """One document from a validated JSON body; the default id hashes the text."""
    default_id = "doc-" + hashlib.sha256(body["text"].encode("utf-8")).hexdigest()[:16]
    return [document_from_mapping(body, source="request body", default_id=default_id,
                                  default_acl=svc.settings.default_acl_groups)]


def documents_from_upload(filename: str, data: bytes, svc: Services) -> list[SourceDocument]:
    """The documents of an uploaded file (one, or a small jsonl), all or nothing."""
    docs = load_bytes(filename, data, default_acl=svc.settings.default_acl_groups,
                      max_bytes=svc.settings.max_document_bytes)
    if len(docs) > MAX_UPLOAD_DOCUMENTS:
        raise DocumentRejected(f"{len(docs)} documents in one upload; at most "
                               f"{MAX_UPLOAD_DOCUMENTS} (use 'kgrag ingest' for more)")
    return docs


def ingest_documents(docs: Sequence[SourceDocument], svc: Services,
                     principal: Principal) -> IngestResult:
    """Ingest synchronously after the ACL checks; per-document counts from the graph.

    A non-admin may only write documents readable by its own groups, and may not
    replace a stored document it could not read.
    """
    from graph.ingest.pipeline import ingest
    from service.wiring import ingest_options, ingest_ports

    allowed = set(principal.acl_groups)
    ids = [d.id for d in docs]
    before = {r["id"]: r for r in svc.store.read("document_get", {"ids": ids, "groups": None})}
    if not principal.is_admin:
        for doc in docs:
            outside = [g for g in doc.acl if g not in allowed]
            if outside:
                raise ForbiddenError(f"document {doc.id!r} is for group(s) "
                                     f"{', '.join(outside)}, which this key is not in")
            old = before.get(doc.id)
            if old is not None and not set(old["acl"] or ()) & allowed:
                raise ForbiddenError(f"this key may not replace document {doc.id!r}")
    report = ingest(list(docs), ingest_ports(svc), ingest_options(svc))
    if report.failed:
        failures = [{"source": s, "reason": r} for s, r in report.failed]
        raise DocumentRejected("; ".join(f"{s}: {r}" for s, r in report.failed),
                               failures=failures, run_id=report.run_id)
    after = {r["id"]: r for r in svc.store.read("document_get", {"ids": ids, "groups": None})}
    out = []
    for doc_id in ids:
        row = after[doc_id]
        unchanged = doc_id in before and before[doc_id]["version"] == row["version"]
        out.append({"id": doc_id, "version": row["version"], "chunks": row["chunks"],
                    "entities": row["entities"], "relations": row["relations"],
                    "unchanged": unchanged})
    return IngestResult(out, report.run_id, changed=not all(d["unchanged"] for d in out))


def get_document(store: GraphStore, doc_id: str, principal: Principal) -> dict[str, Any]:
    rows = store.read("document_get", {"ids": [doc_id], "groups": list(principal.acl_groups)})
    if not rows:
        raise NotFoundError(f"no document with id {doc_id!r}")
    row = dict(rows[0])
    row.pop("relations", None)
    row["acl"] = list(row["acl"] or [])
    return row


def remove_document(store: GraphStore, doc_id: str, principal: Principal) -> None:
    """Delete a document the principal can read (admins: any); NotFoundError otherwise."""
    from graph.ingest.write import delete_document

    groups = None if principal.is_admin else list(principal.acl_groups)
    if not store.read("document_get", {"ids": [doc_id], "groups": groups}):
        raise NotFoundError(f"no document with id {doc_id!r}")
    if not delete_document(store, doc_id):
        raise NotFoundError(f"no document with id {doc_id!r}")


def get_entity(store: GraphStore, ontology: Ontology, entity_id: str,
               principal: Principal) -> dict[str, Any]:
    """An entity and its neighbours, through readable evidence only."""
    groups = list(principal.acl_groups)
    rows = store.read("entity_get", {"id": entity_id, "groups": groups})
    if not rows:
        raise NotFoundError(f"no entity with id {entity_id!r}")
    types = sorted(ontology.entity_relation_types | {"RELATED"})
    neighbours = []
    for r in store.read("entity_neighbours", {"id": entity_id, "groups": groups,
                                              "types": types, "limit": MAX_NEIGHBOURS}):
        start, end = int(r["char_start"]), int(r["char_end"])
        neighbours.append({
            "relation": r["relation"], "predicate": r["predicate"],
            "direction": "out" if r["outgoing"] else "in",
            "entity": {"id": r["other_id"], "name": r["other_name"], "type": r["other_type"]},
            "confidence": float(r["confidence"]),
            "evidence": {"chunk_id": r["chunk_id"], "doc_id": r["doc_id"], "char_start": start,
                         "char_end": end, "quote": (r["text"] or "")[start:end]},
        })
    entity = dict(rows[0])
    entity["aliases"] = list(entity["aliases"])
    entity["neighbours"] = neighbours
    return entity


def add_feedback(store: GraphStore, *, audit_id: str, rating: int, comment: str | None,
                 principal: Principal) -> dict[str, Any]:
    """Store ``(:Feedback)-[:ABOUT]->(:Query)``; 404 unless the caller asked that query."""
    feedback_id = f"fb:{uuid4()}"
    rows = store.write([("feedback_create", {
        "audit_id": audit_id, "id": feedback_id, "rating": rating, "comment": comment or "",
        "principal": principal.name, "admin": principal.is_admin})])[0]
    if not rows:
        raise NotFoundError(f"no audit record with id {audit_id!r}")
    return {"id": rows[0]["id"], "audit_id": audit_id, "rating": rating, "at": rows[0]["at"]}
