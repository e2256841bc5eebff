"""Write stage: one document, one transaction, batched UNWINDs.

A changed document's chunks, mentions and relation evidence are replaced in
the same transaction that writes the new ones, so a reader (or a crash) never
sees half a document; entities left with no mention are removed with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from graph.model import DocumentGraph
from graph.ports import GraphStore, Params
from graph.schema import IndexNames


@dataclass(frozen=True, slots=True)
class DocState:
    sha256: str
    version: int


def document_states(store: GraphStore, ids: Sequence[str]) -> dict[str, DocState]:
    rows = store.read("ingest_document_state", {"ids": list(ids)})
    return {r["id"]: DocState(r["sha256"], r["version"]) for r in rows}


def write_document(
    store: GraphStore,
    dg: DocumentGraph,
    *,
    run_id: str,
    embedding_model: str,
    entity_keys: Mapping[str, Sequence[str]],
    renamed: frozenset[str] = frozenset(),
    merges: Sequence[tuple[str, str]] = (),
) -> int:
    """Replace the document's subgraph; returns its new version.

    ``embedding_model`` is the active space's model; the vectors go into its property
    and, for ``dg.extra_vectors``, into the properties of the spaces being built.
    """
    per_space = [(IndexNames.for_model(m).vector_property, chunks, entities) for m, chunks, entities
                 in ((embedding_model, dg.chunk_vectors, dg.entity_vectors), *dg.extra_vectors)]

    def chunk_vectors(i: int) -> dict[str, list[float]]:
        return {prop: list(chunks[i]) for prop, chunks, _ in per_space}

    def entity_vectors(i: int) -> dict[str, list[float]]:  # empty for an entity already stored
        return {prop: list(entities[i]) for prop, _, entities in per_space if entities[i]}

    previous = store.read("ingest_document_entities", {"doc_id": dg.doc.id})
    stale = previous[0]["ids"] if previous else []
    steps: list[tuple[str, Params]] = [
        ("delete_document_evidence", {"doc_id": dg.doc.id}),
        ("ingest_merge_entities", {"rows": [{"keep": k, "gone": g} for k, g in merges]}),
        ("ingest_document", {"run_id": run_id, "doc": {
            "id": dg.doc.id, "uri": dg.doc.uri, "title": dg.doc.title,
            "sha256": dg.doc.sha256, "acl": list(dg.doc.acl), "char_count": len(dg.doc.text)}}),
        ("ingest_chunks", {"embedding_model": embedding_model, "rows": [
            {"id": c.id, "doc_id": c.doc_id, "seq": c.seq, "text": c.text,
             "char_start": c.start, "char_end": c.end, "sha256": c.sha256,
             "vectors": chunk_vectors(i), "prev": dg.chunks[i - 1].id if i else None}
            for i, c in enumerate(dg.chunks)]}),
        ("ingest_entities", {"embedding_model": embedding_model, "rows": [
            {"id": e.id, "name": e.name, "type": e.type, "aliases": list(e.aliases),
             "keys": list(entity_keys.get(e.id, ())), "vectors": entity_vectors(i),
             "rename": e.id in renamed}
            for i, e in enumerate(dg.entities)]}),
        ("ingest_mentions", {"rows": [
            {"chunk_id": m.chunk_id, "entity_id": m.entity_id, "start": m.start, "end": m.end,
             "surface": m.surface, "extractor": m.extractor} for m in dg.mentions]}),
        ("ingest_relations", {"rows": [
            {"head": r.head, "tail": r.tail, "type": r.type, "predicate": r.predicate,
             "chunk_id": r.chunk_id, "start": r.start, "end": r.end,
             "confidence": r.confidence, "extractor": r.extractor} for r in dg.relations]}),
        ("ingest_comentions", {"rows": [
            {"a": c.a, "b": c.b, "chunk_id": c.chunk_id} for c in dg.comentions]}),
        ("delete_orphan_entities", {"ids": stale}),
    ]
    results = store.write(steps)
    return int(results[2][0]["version"])


def delete_document(store: GraphStore, doc_id: str) -> bool:
    """Remove a document and everything derived only from it. False if unknown."""
    previous = store.read("ingest_document_entities", {"doc_id": doc_id})
    stale = previous[0]["ids"] if previous else []
    results = store.write([
        ("delete_document_evidence", {"doc_id": doc_id}),
        ("delete_document_node", {"doc_id": doc_id}),
        ("delete_orphan_entities", {"ids": stale}),
    ])
    return bool(results[1] and results[1][0]["deleted"])
