"""Retrieval, composed: analyse -> seed -> expand -> rank -> assemble."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from graph.ports import Embedder, EntityExtractor, GraphStore
from graph.retrieve.analyse import analyse_question, lucene_terms
from graph.retrieve.assemble import assemble
from graph.retrieve.expand import expand
from graph.retrieve.rank import drop_overlaps, graph_hits, interleave, rrf
from graph.retrieve.seed import fulltext_seeds, vector_seeds
from graph.retrieve.types import Hit, Mode, Retrieval, RetrieveParams, Subgraph
from graph.schema import IndexNames
from ontology import Ontology
from ontology.errors import InvalidInputError

T = TypeVar("T")
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True, slots=True)
class RetrievePorts:
    store: GraphStore
    extractor: EntityExtractor
    embedder: Embedder
    ontology: Ontology
    names: IndexNames


def retrieve(question: str, ports: RetrievePorts, params: RetrieveParams) -> Retrieval:
    """Evidence chunks for a question, each with the paths that explain it."""
    question = question.strip()
    if not question:
        raise InvalidInputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInputError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
    if not 1 <= params.k <= 100 or not 0 <= params.hops <= 3:
        raise InvalidInputError("k must be within 1..100 and hops within 0..3")
    timings: dict[str, float] = {}

    def timed(stage: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        out = fn()
        timings[stage] = round((time.perf_counter() - t0) * 1000, 2)
        return out

    mode, groups, store, names = params.mode, params.groups, ports.store, ports.names
    pool = max(params.seed_k, params.k)
    relation_embedding: npt.NDArray[np.float32] | None = None
    embedding: npt.NDArray[np.float32] | None
    if mode is Mode.GRAPH:
        qa = timed("analyse", lambda: analyse_question(
            question, extractor=ports.extractor, embedder=ports.embedder, store=store,
            names=names, groups=groups, threshold=params.link_threshold))
        embedding, lucene, entities = qa.embedding, qa.lucene, qa.entities
        relation_embedding = qa.relation_embedding
    else:
        embedding = (timed("analyse", lambda: ports.embedder.embed([question])[0])
                     if mode is not Mode.FULLTEXT else None)
        lucene, entities = lucene_terms(question), ()
    lists: dict[str, tuple[Hit, ...]] = {}
    if embedding is not None:
        lists["vector"] = timed("seed_vector", lambda: vector_seeds(
            store, names, embedding, groups, pool))
    if mode is not Mode.VECTOR:
        lists["fulltext"] = timed("seed_fulltext", lambda: fulltext_seeds(
            store, names, lucene, groups, pool))
    subgraph: Subgraph | None = None
    if mode is Mode.GRAPH:
        seeds = lists.get("vector", ())
        subgraph = timed("expand", lambda: expand(
            store, question_entities=entities, seeds=seeds, embedding=qa.embedding,
            relation_types=sorted(ports.ontology.entity_relation_types), params=params,
            vector_property=names.vector_property, relation_embedding=relation_embedding))
        lists["graph"] = graph_hits(subgraph.chunk_scores, pool, params.graph_min_ratio)
    # The graph list leads only when the question names something specific; a walk
    # from "ISO" (in every document) carries no more signal than the searches.
    specific = any(e.df <= params.specific_df for e in entities)
    weights = {"graph": params.graph_weight if specific else 1.0,
               "fulltext": params.fulltext_weight if mode is Mode.GRAPH else 1.0}
    fused = timed("rank", lambda: rrf(lists, params.rrf_k, weights))
    if subgraph is not None and specific and params.hops > 0:
        bridge = graph_hits(subgraph.bridge_scores, pool)
        fused = interleave(fused, bridge, params.rrf_k)
    candidates = fused[: max(3 * params.k, 10)]
    evidence = {e.chunk_id for e in subgraph.edges} if subgraph else set()
    seed_chunks = {h.chunk_id for hits in lists.values() for h in hits[:5]}
    need = sorted({r.chunk_id for r in candidates} | evidence | seed_chunks)
    rows = timed("fetch", lambda: {r["id"]: r for r in store.read(
        "retrieve_chunks", {"ids": need, "groups": list(groups)})})
    spans = {c: (r["doc_id"], r["char_start"], r["char_end"]) for c, r in rows.items()}
    ranked = drop_overlaps(candidates, spans)
    entity_ids = sorted({m[0] for m in subgraph.mentions} | {q.entity_id for q in entities}
                        ) if subgraph else []
    names_by_id = {r["id"]: r["name"] for r in store.read(
        "retrieve_entity_names", {"ids": entity_ids})} if entity_ids else {}
    chunks, paths = timed("assemble", lambda: assemble(
        ranked, rows, k=params.k, token_budget=params.token_budget, question_entities=entities,
        seeds={m: lists.get(m, ()) for m in ("vector", "fulltext")}, subgraph=subgraph,
        names=names_by_id,
        index_names={"vector": names.chunk_vector, "fulltext": names.chunk_fulltext}))
    timings["total"] = round(sum(timings.values()), 2)
    return Retrieval(question=question, mode=mode, chunks=chunks, paths=paths,
                     entities=tuple(entities), timings_ms=timings, index=names.chunk_vector,
                     space=names.space, embedding_model=ports.embedder.model_id)
