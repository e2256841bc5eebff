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
MAX_REMEMBERED = 200_000  # run-created entity vectors kept in memory (~300 MiB at 384 dims)


class RunEntities:
    """Vectors of the entities a run has created so far, compared in memory.

    What an ingestion run creates is compared exactly, in memory, instead of
    through the approximate vector index; the index is only needed for entities
    stored before the run (``indexed``: the graph held any when the run began).
    Past :data:`MAX_REMEMBERED` entities the run stops remembering and asks the
    index, which holds everything written, for every batch.
    """

    def __init__(self, *, indexed: bool) -> None:
        self.indexed = indexed
        self.ids: list[str] = []
        self.types: list[str] = []
        self._vectors = np.zeros((0, 0), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def vectors(self) -> npt.NDArray[np.float32]:
        return self._vectors[:len(self.ids)]

    def add(self, created: Sequence[tuple[str, str, npt.NDArray[np.float32]]]) -> None:
        """Remember entities a committed write created."""
        if not created or self.indexed:
            return
        if len(self.ids) + len(created) > MAX_REMEMBERED:
            self.indexed = True  # the index has them all; stop holding them twice
            self.ids, self.types, self._vectors = [], [], np.zeros((0, 0), dtype=np.float32)
            return
        n, dim = len(self.ids), len(created[0][2])
        if self._vectors.shape[0] < n + len(created) or self._vectors.shape[1] != dim:
            grown = np.zeros((max(2 * (n + len(created)), 1024), dim), dtype=np.float32)
            if n:
                grown[:n] = self._vectors[:n]
            self._vectors = grown
        for i, (entity_id, etype, vec) in enumerate(created):
            self._vectors[n + i] = vec
            self.ids.append(entity_id)
            self.types.append(etype)


def near_duplicates_batch(
    store: GraphStore, *, index: str, docs: Sequence[DocEntities], threshold: float,
    run: RunEntities | None = None,
) -> list[dict[str, str]]:
    """Per document of a batch written in order: new entity id -> existing entity id.

    One vector query serves the whole batch.  What an earlier document of the batch
    creates is not in the index yet, so new entities are also compared, in memory,
    with those the batch's earlier documents create: the result is what querying
    before each document's own write would give (the best-scoring match wins).
    With ``run``, entities earlier batches of the run created are compared in memory
    too, and the index is asked only if ``run.indexed``.
    """
    return near_duplicates_planned(store, index=index, docs=docs, threshold=threshold,
                                   run=run)[0]


Created = list[tuple[str, str, npt.NDArray[np.float32]]]


def near_duplicates_planned(
    store: GraphStore, *, index: str, docs: Sequence[DocEntities], threshold: float,
    run: RunEntities | None = None,
) -> tuple[list[dict[str, str]], list[Created]]:
    """:func:`near_duplicates_batch`, plus per document the entities it would create
    (id, type, vector): what to :meth:`RunEntities.add` once its write commits."""
    rows = [{"key": e.id, "type": e.type, "embedding": list(v)}
            for entities, vectors, candidates in docs
            for e, v in zip(entities, vectors, strict=True)
            if e.id in candidates and e.type not in NEVER_BY_SIMILARITY and len(v) > 0]
    if not rows:
        return [{} for _ in docs], [[] for _ in docs]
    best: dict[str, tuple[float, str]] = {}
    if run is None or run.indexed:
        for r in store.read("ingest_entity_similar", {
                "rows": rows, "index": index, "threshold": threshold}):
            score = float(r["score"])
            if r["id"] != r["key"] and score > best.get(r["key"], (-1.0, ""))[0]:
                best[r["key"]] = (score, r["id"])
    # earlier batches' entities (run) and the batch's earlier documents' (created)
    known = (run.vectors, np.asarray(run.types), run.ids) if run is not None and len(run) else None
    out: list[dict[str, str]] = []
    planned: list[Created] = []
    created: Created = []
    for entities, vectors, candidates in docs:
        found: dict[str, str] = {}
        mine: Created = []
        # a snapshot: a document's own new entities are never compared with each other
        pools = [known] if known is not None else []
        if created:
            pools.append((np.stack([v for _, _, v in created]),
                          np.asarray([t for _, t, _ in created]), [i for i, _, _ in created]))
        for e, v in zip(entities, vectors, strict=True):
            if e.id not in candidates or e.type in NEVER_BY_SIMILARITY or len(v) == 0:
                continue
            vec = np.asarray(v, dtype=np.float32)
            score, target = best.get(e.id, (-1.0, ""))
            for matrix, types, ids in pools:
                # the index's cosine score is (1 + cos) / 2; the vectors are normalised
                scores = np.where(types == e.type, (1.0 + matrix @ vec) / 2.0, -1.0)
                i = int(np.argmax(scores))
                if scores[i] >= threshold and scores[i] > score:
                    score, target = float(scores[i]), ids[i]
            if target:
                found[e.id] = target
            else:
                mine.append((e.id, e.type, vec))
        created += mine
        out.append(found)
        planned.append(mine)
    return out, planned


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
