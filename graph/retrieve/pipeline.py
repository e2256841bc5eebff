"""Retrieval, composed: analyse -> seed -> expand -> rank -> assemble.

Steps that do not wait on each other overlap on a small thread pool (the store
opens a session per read, so reads may run side by side): the question is
embedded while spaCy parses it; the searches (fulltext, the question's
literals, and the vector search) and the key lookup run while the mentions no key
matched are linked; the relation embedding while the expansion walks the graph.
In graph mode the fulltext search starts once spaCy is done: it is needed only
with the vector search's answer, and started at once its driver work slowed the
parse (~2 ms a question at 10k chunks).  Every step still gets exactly the inputs
it had when they ran one after another, so the result is the same.

The expansion reads an in-process snapshot of the graph when one is current
(graph/retrieve/snapshot.py; checked at the start, beside the searches), else
Neo4j: the answers are the same either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from graph.ports import Embedder, EntityExtractor, GraphStore
from graph.retrieve.analyse import (
    embed_mentions,
    link_by_keys,
    link_question,
    lucene_terms,
    parse_question,
    question_literals,
    relation_text,
)
from graph.retrieve.assemble import assemble, chunks_to_fetch
from graph.retrieve.expand import expand
from graph.retrieve.rank import drop_overlaps, graph_hits, hop_interleave, rrf
from graph.retrieve.reader import CypherGraph, GraphReader
from graph.retrieve.seed import fulltext_seeds, literal_chunks, vector_seeds
from graph.retrieve.snapshot import GraphSnapshot, SnapshotCache
from graph.retrieve.types import Hit, Mode, QuestionEntity, Retrieval, RetrieveParams, Subgraph
from graph.schema import IndexNames
from ontology import Ontology
from ontology.errors import InvalidInputError

T = TypeVar("T")
Vector = npt.NDArray[np.float32]
MAX_QUESTION_CHARS = 2000
# The columns of retrieve_chunks' lists.
CHUNK_FIELDS = ("id", "text", "char_start", "char_end", "doc_id", "uri", "title", "version",
                "sha256")
WORKERS = 6  # steps at once: fulltext, literals, snapshot, vector, two of analyse


@dataclass(frozen=True, slots=True)
class RetrievePorts:
    store: GraphStore
    extractor: EntityExtractor
    embedder: Embedder
    ontology: Ontology
    names: IndexNames
    snapshots: SnapshotCache | None = None  # in-process copies of the graph, when current


def retrieve(question: str, ports: RetrievePorts, params: RetrieveParams) -> Retrieval:
    """Evidence chunks for a question, each with the paths that explain it."""
    question = question.strip()
    if not question:
        raise InvalidInputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInputError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    if not 1 <= params.k <= 100 or not 0 <= params.hops <= 3:
        raise InvalidInputError("k must be within 1..100 and hops within 0..3")
    t_start = time.perf_counter()
    timings: dict[str, float] = {}

    def timed(stage: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        out = fn()
        timings[stage] = round((time.perf_counter() - t0) * 1000, 2)
        return out

    mode, groups, store, names = params.mode, params.groups, ports.store, ports.names
    pool = max(params.seed_k, params.k)
    lucene = lucene_terms(question)
    entities: tuple[QuestionEntity, ...] = ()
    relation_embedding: Callable[[], Vector] | None = None
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="kgrag-retrieve") as ex:
        fulltext: Future[tuple[Hit, ...]] | None = None
        if mode not in (Mode.VECTOR, Mode.GRAPH):
            fulltext = ex.submit(timed, "seed_fulltext", lambda: fulltext_seeds(
                store, names, lucene, groups, pool))
        anchors: Future[dict[str, tuple[tuple[int, int], ...]]] | None = None
        embedding: Vector | None = None
        vector: Future[tuple[Hit, ...]] | None = None
        snapshot: Future[GraphSnapshot | None] | None = None
        current: GraphSnapshot | None = None  # the snapshot, if it is of the graph as it is
        t0 = time.perf_counter()
        if mode is Mode.GRAPH:
            if ports.snapshots is not None:
                snapshot = ex.submit(ports.snapshots.current, names.vector_property)
            # the question is embedded (no GIL) while spaCy parses it
            question_vector = _later(ex, ports.embedder, question)
            parsed = parse_question(question, ports.extractor)
            fulltext = ex.submit(timed, "seed_fulltext", lambda: fulltext_seeds(
                store, names, lucene, groups, pool))
            if literals := question_literals(question):
                anchors = ex.submit(literal_chunks, store, names, literals, groups,
                                    params.specific_df)
            current = snapshot.result() if snapshot else None
            by_key = ex.submit(link_by_keys, parsed, store=store, names=names, groups=groups,
                               snapshot=current)
            embedding = q_vec = question_vector()
            vector = ex.submit(timed, "seed_vector", lambda: vector_seeds(
                store, names, q_vec, groups, pool))
            keyed = by_key.result()
            entities = link_question(parsed, embed_mentions(parsed, keyed, ports.embedder),
                                     keyed, store=store, names=names, groups=groups,
                                     threshold=params.link_threshold)
            residual = relation_text(question, entities)
            relation_embedding = (_later(ex, ports.embedder, residual) if residual
                                  else lambda: q_vec)
        elif mode is not Mode.FULLTEXT:
            embedding = ports.embedder.embed([question])[0]
            query_vector = embedding
            vector = ex.submit(timed, "seed_vector", lambda: vector_seeds(
                store, names, query_vector, groups, pool))
        if mode is not Mode.FULLTEXT:
            timings["analyse"] = round((time.perf_counter() - t0) * 1000, 2)
        lists: dict[str, tuple[Hit, ...]] = {}
        if vector is not None:
            lists["vector"] = vector.result()
        if fulltext is not None:
            lists["fulltext"] = fulltext.result()
        subgraph: Subgraph | None = None
        if mode is Mode.GRAPH and embedding is not None:
            # The walk starts from the searches' agreed best chunks (a fulltext hit on
            # "949" is as good a first hop as a vector hit).
            seeds = tuple(Hit(r.chunk_id, r.score) for r in rrf(
                {m: lists[m] for m in ("vector", "fulltext") if m in lists}, params.rrf_k,
                {"fulltext": params.fulltext_weight}))
            query_embedding = embedding
            graph: GraphReader = current or CypherGraph(store, names.vector_property)
            anchored = anchors.result() if anchors else {}
            subgraph = timed("expand", lambda: expand(
                graph, question_entities=entities, seeds=seeds, embedding=query_embedding,
                relation_types=sorted(ports.ontology.entity_relation_types), params=params,
                relation_embedding=relation_embedding, anchors=anchored))
            lists["graph"] = graph_hits(subgraph.chunk_scores, pool, params.graph_min_ratio)
    # The graph list leads only when the question names something specific; a walk
    # from "ISO" (in every document) carries no more signal than the searches.
    specific = any(e.df <= params.specific_df for e in entities) or bool(
        subgraph and subgraph.anchors)
    weights = {"graph": params.graph_weight if specific else 1.0,
               "fulltext": params.fulltext_weight if mode is Mode.GRAPH else 1.0}
    fused = timed("rank", lambda: rrf(lists, params.rrf_k, weights))
    if subgraph is not None and params.hops > 0:
        fused = hop_interleave(fused, graph_hits(subgraph.direct_scores, pool),
                               graph_hits(subgraph.bridge_scores, pool), params.rrf_k)
    candidates = fused[: max(3 * params.k, 10)]
    seed_lists = {m: lists.get(m, ()) for m in ("vector", "fulltext")}
    need = chunks_to_fetch([r.chunk_id for r in candidates], entities, seed_lists, subgraph,
                           best=(h.chunk_id for hits in lists.values() for h in hits[:5]))
    rows = timed("fetch", lambda: {r[0]: dict(zip(CHUNK_FIELDS, r, strict=True))
                                   for r in store.read("retrieve_chunks", {
                                       "ids": need, "groups": list(groups)})[0]["chunks"]})
    spans = {c: (r["doc_id"], r["char_start"], r["char_end"]) for c, r in rows.items()}
    ranked = drop_overlaps(candidates, spans)
    chunks, paths = timed("assemble", lambda: assemble(
        ranked, rows, k=params.k, token_budget=params.token_budget, question_entities=entities,
        seeds=seed_lists, subgraph=subgraph,
        names=subgraph.names if subgraph else {},
        index_names={"vector": names.chunk_vector, "fulltext": names.chunk_fulltext}))
    # Stages overlap: the total is the wall-clock time, not their sum.
    timings["total"] = round((time.perf_counter() - t_start) * 1000, 2)
    return Retrieval(question=question, mode=mode, chunks=chunks, paths=paths,
                     entities=entities, timings_ms=timings, index=names.chunk_vector,
                     space=names.space, embedding_model=ports.embedder.model_id)


def _later(ex: ThreadPoolExecutor, embedder: Embedder, text: str) -> Callable[[], Vector]:
    """Embed ``text`` on the pool; the callable waits for the vector."""
    future = ex.submit(embedder.embed, [text])
    return lambda: future.result()[0]
