"""Write stage: several documents per transaction, each as batched UNWINDs.

A changed document's chunks, mentions and relation evidence are replaced in
the same transaction that writes the new ones, so a reader (or a crash) never
sees half a document; entities left with no mention are removed with it.
A batch of documents shares one transaction (one commit, one log flush);
when it fails, :func:`write_documents` reports that and the caller retries
the documents one per transaction, so one bad document costs only itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from graph.model import DocumentGraph
from graph.ports import GraphStore, Params
from graph.schema import IndexNames

_VERSION_STEP = 2  # index of ingest_document among a document's steps


@dataclass(frozen=True, slots=True)
class DocState:
    sha256: str
    version: int


@dataclass(frozen=True, slots=True)
class DocWrite:
    """One document's graph and what linking decided about its entities."""

    graph: DocumentGraph
    entity_keys: Mapping[str, Sequence[str]]
    renamed: frozenset[str] = frozenset()
    merges: Sequence[tuple[str, str]] = field(default=())


def document_states(store: GraphStore, ids: Sequence[str]) -> dict[str, DocState]:
    rows = store.read("ingest_document_state", {"ids": list(ids)})
    return {r["id"]: DocState(r["sha256"], r["version"]) for r in rows}


def mentioned_entities(store: GraphStore, doc_ids: Sequence[str]) -> dict[str, list[str]]:
    """Per stored document: the entities its chunks mention (orphan candidates)."""
    rows = store.read("ingest_document_entities", {"doc_ids": list(doc_ids)})
    return {r["doc_id"]: r["ids"] for r in rows}


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
    """Replace the document's subgraph in its own transaction; returns its new version."""
    return write_documents(store, [DocWrite(dg, entity_keys, renamed, merges)],
                           run_id=run_id, embedding_model=embedding_model)[0]


def write_documents(store: GraphStore, docs: Sequence[DocWrite], *, run_id: str,
                    embedding_model: str) -> list[int]:
    """Replace the documents' subgraphs in one transaction, in order; their new versions.

    ``embedding_model`` is the active space's model; the vectors go into its property
    and, for ``dg.extra_vectors``, into the properties of the spaces being built.
    All or nothing: a failure raises and leaves every document as it was.
    """
    if not docs:
        return []
    stale = mentioned_entities(store, [d.graph.doc.id for d in docs])
    steps: list[tuple[str, Params]] = []
    version_at: list[int] = []  # where each document's ingest_document result lands
    for d in docs:
        version_at.append(len(steps) + _VERSION_STEP)
        steps += _steps(d, run_id=run_id, embedding_model=embedding_model,
                        stale=stale.get(d.graph.doc.id, []))
    results = store.write(steps)
    return [int(results[i][0]["version"]) for i in version_at]


def _steps(d: DocWrite, *, run_id: str, embedding_model: str,
           stale: Sequence[str]) -> list[tuple[str, Params]]:
    dg = d.graph
    per_space = [(IndexNames.for_model(m).vector_property, chunks, entities) for m, chunks, entities
                 in ((embedding_model, dg.chunk_vectors, dg.entity_vectors), *dg.extra_vectors)]

    def chunk_vectors(i: int) -> dict[str, Sequence[float]]:
        return {prop: chunks[i] for prop, chunks, _ in per_space}

    def entity_vectors(i: int) -> dict[str, Sequence[float]]:  # empty for a stored entity
        return {prop: entities[i] for prop, _, entities in per_space if entities[i]}

    steps: list[tuple[str, Params]] = [
        ("delete_document_evidence", {"doc_id": dg.doc.id}),
        ("ingest_merge_entities", {"rows": [{"keep": k, "gone": g} for k, g in d.merges]}),
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
             "keys": list(d.entity_keys.get(e.id, ())), "vectors": entity_vectors(i),
             "rename": e.id in d.renamed}
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
        ("delete_orphan_entities", {"ids": list(stale)}),
    ]
    return steps


def delete_document(store: GraphStore, doc_id: str) -> bool:
    """Remove a document and everything derived only from it. False if unknown."""
    stale = mentioned_entities(store, [doc_id]).get(doc_id, [])
    results = store.write([
        ("delete_document_evidence", {"doc_id": doc_id}),
        ("delete_document_node", {"doc_id": doc_id}),
        ("delete_orphan_entities", {"ids": stale}),
    ])
    return bool(results[1] and results[1][0]["deleted"])
