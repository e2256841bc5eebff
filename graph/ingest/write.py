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

    Each kind of write is one UNWIND over all the documents (a dozen round trips
    per batch, not a dozen per document).  That is the same as writing them one
    after another except where a document merges two stored entities: an earlier
    document of the batch may have created one of them, so such a document starts
    a new segment, written after the ones before it.
    """
    if not docs:
        return []
    stale = mentioned_entities(store, [d.graph.doc.id for d in docs])
    steps: list[tuple[str, Params]] = []
    for segment in _segments(docs):
        steps += _steps(segment, run_id=run_id, embedding_model=embedding_model)
    steps.append(("delete_orphan_entities",
                  {"ids": sorted({e for ids in stale.values() for e in ids})}))
    steps.append(("graph_state_touch", {}))
    results = store.write(steps)
    versions = {r["id"]: int(r["version"]) for (name, _), rows in zip(steps, results, strict=True)
                if name == "ingest_documents" for r in rows}
    return [versions[d.graph.doc.id] for d in docs]


def _segments(docs: Sequence[DocWrite]) -> list[list[DocWrite]]:
    """Runs of documents whose writes may be combined (see :func:`write_documents`)."""
    segments: list[list[DocWrite]] = []
    for d in docs:
        if not segments or d.merges:
            segments.append([])
        segments[-1].append(d)
    return segments


def _steps(docs: Sequence[DocWrite], *, run_id: str,
           embedding_model: str) -> list[tuple[str, Params]]:
    chunks: list[Params] = []
    entities: list[Params] = []
    for d in docs:
        dg = d.graph
        per_space = [(IndexNames.for_model(m).vector_property, cv, ev) for m, cv, ev
                     in ((embedding_model, dg.chunk_vectors, dg.entity_vectors),
                         *dg.extra_vectors)]
        chunks += [{"id": c.id, "doc_id": c.doc_id, "seq": c.seq, "text": c.text,
                    "char_start": c.start, "char_end": c.end, "sha256": c.sha256,
                    "vectors": {prop: cv[i] for prop, cv, _ in per_space},
                    "prev": dg.chunks[i - 1].id if i else None}
                   for i, c in enumerate(dg.chunks)]
        entities += [{"id": e.id, "name": e.name, "type": e.type, "aliases": list(e.aliases),
                      "keys": list(d.entity_keys.get(e.id, ())),
                      # empty for a stored entity: it keeps its own vectors
                      "vectors": {prop: ev[i] for prop, _, ev in per_space if ev[i]},
                      "rename": e.id in d.renamed}
                     for i, e in enumerate(dg.entities)]
    graphs = [d.graph for d in docs]
    steps: list[tuple[str, Params]] = [
        ("delete_document_evidence", {"doc_ids": [dg.doc.id for dg in graphs]}),
        ("ingest_merge_entities", {"rows": [{"keep": k, "gone": g}
                                            for d in docs for k, g in d.merges]}),
        ("ingest_documents", {"run_id": run_id, "docs": [
            {"id": dg.doc.id, "uri": dg.doc.uri, "title": dg.doc.title,
             "sha256": dg.doc.sha256, "acl": list(dg.doc.acl), "char_count": len(dg.doc.text)}
            for dg in graphs]}),
        ("ingest_chunks", {"embedding_model": embedding_model, "rows": chunks}),
        ("ingest_entities", {"embedding_model": embedding_model, "rows": entities}),
        ("ingest_mentions", {"rows": [
            {"chunk_id": m.chunk_id, "entity_id": m.entity_id, "start": m.start, "end": m.end,
             "surface": m.surface, "extractor": m.extractor}
            for dg in graphs for m in dg.mentions]}),
        ("ingest_relations", {"rows": [
            {"head": r.head, "tail": r.tail, "type": r.type, "predicate": r.predicate,
             "chunk_id": r.chunk_id, "start": r.start, "end": r.end,
             "confidence": r.confidence, "extractor": r.extractor}
            for dg in graphs for r in dg.relations]}),
        ("ingest_comentions", {"rows": [
            {"a": c.a, "b": c.b, "chunk_id": c.chunk_id} for dg in graphs for c in dg.comentions]}),
    ]
    # a step with no rows would be a round trip that does nothing
    return [(name, params) for name, params in steps
            if params.get("rows", True) != []]


def delete_document(store: GraphStore, doc_id: str) -> bool:
    """Remove a document and everything derived only from it. False if unknown."""
    stale = mentioned_entities(store, [doc_id]).get(doc_id, [])
    results = store.write([
        ("delete_document_evidence", {"doc_ids": [doc_id]}),
        ("delete_document_node", {"doc_id": doc_id}),
        ("delete_orphan_entities", {"ids": stale}),
        ("graph_state_touch", {}),
    ])
    return bool(results[1] and results[1][0]["deleted"])
