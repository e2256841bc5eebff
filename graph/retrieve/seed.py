"""Seed stage: vector and fulltext top-k over the chunks a principal may read.

The vector index (HNSW) is approximate; it is deterministic for a given index
(Lucene builds the graph with a fixed seed and we break score ties by id), and
the candidate pool is widened until ``k`` readable chunks are found, so an ACL
never silently shortens the list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from graph.ports import GraphStore
from graph.retrieve.assemble import sentence_span
from graph.retrieve.types import Hit
from graph.schema import IndexNames

MAX_POOL = 10_000
Span = tuple[int, int]


def vector_seeds(store: GraphStore, names: IndexNames, embedding: npt.NDArray[np.float32],
                 groups: Sequence[str], k: int) -> tuple[Hit, ...]:
    pool = max(4 * k, 50)
    vec = embedding.tolist()
    while True:
        rows = store.read("retrieve_vector_chunks", {
            "index": names.chunk_vector, "pool": pool, "embedding": vec,
            "groups": list(groups), "k": k})
        if len(rows) >= k or pool >= MAX_POOL:
            return tuple(Hit(r["id"], float(r["score"])) for r in rows)
        pool *= 4


def fulltext_seeds(store: GraphStore, names: IndexNames, lucene: str, groups: Sequence[str],
                   k: int) -> tuple[Hit, ...]:
    if not lucene:
        return ()
    rows = store.read("retrieve_fulltext_chunks", {
        "index": names.chunk_fulltext, "lucene": lucene, "pool": max(4 * k, 50),
        "groups": list(groups), "k": k})
    return tuple(Hit(r["id"], float(r["score"])) for r in rows)


def literal_chunks(store: GraphStore, names: IndexNames, literals: Sequence[str],
                   groups: Sequence[str], most: int) -> dict[str, tuple[Span, ...]]:
    """Readable chunks that contain a literal found in at most ``most`` of them, each
    with the sentences that state it."""
    if not literals:
        return {}
    rows = store.read("retrieve_literal_chunks", {
        "index": names.chunk_fulltext, "literals": list(literals), "groups": list(groups),
        "cap": most + 1})
    found: dict[str, tuple[Span, ...]] = {}
    for r in rows:
        if len(r["chunks"]) > most:
            continue
        word = re.compile(rf"(?<!\w){re.escape(r['literal'])}(?!\w)")
        for chunk_id, text in r["chunks"]:
            spans = tuple(sentence_span(text, m.start(), m.end()) for m in word.finditer(text))
            found[chunk_id] = tuple(dict.fromkeys(found.get(chunk_id, ()) + spans))
    return dict(sorted(found.items()))
