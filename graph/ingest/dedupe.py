"""Near-duplicate entities by embedding similarity: the last, most cautious link step.

An entity that no key linked is compared with the entities already in the
graph through the entity vector index; above a conservative threshold and with
the same type, the new entity is folded into the old one (its name becomes an
alias).  Identifiers, people, dates and amounts are never merged this way:
"INC-2350" and "INC-2351" embed almost identically and are different things.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
    rows = [{"key": e.id, "type": e.type, "embedding": list(v)}
            for e, v in zip(entities, vectors, strict=True)
            if e.id in candidates and e.type not in NEVER_BY_SIMILARITY and len(v) > 0]
    if not rows:
        return {}
    found: dict[str, str] = {}
    for r in store.read("ingest_entity_similar", {
            "rows": rows, "index": index, "threshold": threshold}):
        if r["id"] != r["key"]:
            found.setdefault(r["key"], r["id"])
    return found


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
