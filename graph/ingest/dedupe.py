"""Near-duplicate entities by embedding similarity: the last, most cautious link step.

An entity that no key linked is compared with the entities already in the
graph through the entity vector index; above a conservative threshold and with
the same type, the new entity is folded into the old one (its name becomes an
alias).  Identifiers, people, dates and amounts are never merged this way:
"INC-2350" and "INC-2351" embed almost identically and are different things.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from graph.ingest.link import VALUE_TYPES
from graph.model import (
    CoMention,
    DocumentGraph,
    EntityDraft,
    LinkedMention,
    RelationDraft,
)
from graph.ports import GraphStore

NEVER_BY_SIMILARITY = VALUE_TYPES | {"Identifier", "Person"}


def near_duplicates(
    store: GraphStore,
    *,
    index: str,
    entities: Sequence[EntityDraft],
    vectors: Sequence[Sequence[float]],
    candidates: frozenset[str],
    threshold: float,
) -> dict[str, str]:
    """new entity id -> existing entity id, for new entities close to an existing one."""
    return near_duplicates_batch(store, index=index, docs=[(entities, vectors, candidates)],
                                 threshold=threshold)[0]


DocEntities = tuple[Sequence[EntityDraft], Sequence[Sequence[float]], frozenset[str]]


def near_duplicates_batch(
    store: GraphStore, *, index: str, docs: Sequence[DocEntities], threshold: float,
) -> list[dict[str, str]]:
    """Per document of a batch written in order: new entity id -> existing entity id.

    One vector query serves the whole batch.  What an earlier document of the batch
    creates is not in the index yet, so new entities are also compared, in memory,
    with those the batch's earlier documents create: the result is what querying
    before each document's own write would give (the best-scoring match wins).
    """
    rows = [{"key": e.id, "type": e.type, "embedding": list(v)}
            for entities, vectors, candidates in docs
            for e, v in zip(entities, vectors, strict=True)
            if e.id in candidates and e.type not in NEVER_BY_SIMILARITY and len(v) > 0]
    if not rows:
        return [{} for _ in docs]
    best: dict[str, tuple[float, str]] = {}
    for r in store.read("ingest_entity_similar", {
            "rows": rows, "index": index, "threshold": threshold}):
        score = float(r["score"])
        if r["id"] != r["key"] and score > best.get(r["key"], (-1.0, ""))[0]:
            best[r["key"]] = (score, r["id"])
    out: list[dict[str, str]] = []
    # entities the batch's earlier documents create: their types and vectors
    created_ids: list[str] = []
    created_types: list[str] = []
    created_vectors: list[npt.NDArray[np.float32]] = []
    for entities, vectors, candidates in docs:
        found: dict[str, str] = {}
        # a snapshot: a document's own new entities are never compared with each other
        matrix = np.stack(created_vectors) if created_vectors else None
        types = np.asarray(created_types)
        for e, v in zip(entities, vectors, strict=True):
            if e.id not in candidates or e.type in NEVER_BY_SIMILARITY or len(v) == 0:
                continue
            vec = np.asarray(v, dtype=np.float32)
            score, target = best.get(e.id, (-1.0, ""))
            if matrix is not None:
                # the index's cosine score is (1 + cos) / 2; the vectors are normalised
                scores = np.where(types == e.type, (1.0 + matrix @ vec) / 2.0, -1.0)
                i = int(np.argmax(scores))
                if scores[i] >= threshold and scores[i] > score:
                    score, target = float(scores[i]), created_ids[i]
            if target:
                found[e.id] = target
            else:
                created_ids.append(e.id)
                created_types.append(e.type)
                created_vectors.append(vec)
        out.append(found)
    return out


def remap(dg: DocumentGraph, mapping: Mapping[str, str]) -> DocumentGraph:
    """The same document graph with entity ids replaced; merged names become aliases."""
    if not mapping:
        return dg

    def m(entity_id: str) -> str:
        return mapping.get(entity_id, entity_id)

    entities, vectors = [], []
    for e, v in zip(dg.entities, dg.entity_vectors, strict=True):
        if e.id in mapping:
            e = EntityDraft(id=m(e.id), name=e.name, type=e.type,
                            aliases=tuple(sorted({*e.aliases, e.name})), context=e.context)
        entities.append(e)
        vectors.append(v)
    mentions = tuple(LinkedMention(x.chunk_id, m(x.entity_id), x.start, x.end, x.surface,
                                   x.extractor) for x in dg.mentions)
    relations = tuple(RelationDraft(m(r.head), m(r.tail), r.type, r.predicate, r.chunk_id,
                                    r.start, r.end, r.confidence, r.extractor)
                      for r in dg.relations if m(r.head) != m(r.tail))
    pairs = {(min(m(c.a), m(c.b)), max(m(c.a), m(c.b)), c.chunk_id) for c in dg.comentions}
    comentions = tuple(CoMention(a, b, cid) for a, b, cid in sorted(pairs) if a != b)
    return DocumentGraph(doc=dg.doc, chunks=dg.chunks, entities=tuple(entities),
                         mentions=mentions, relations=relations, comentions=comentions,
                         chunk_vectors=dg.chunk_vectors, entity_vectors=tuple(vectors),
                         extra_vectors=dg.extra_vectors)
