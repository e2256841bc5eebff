"""Expand stage: bounded k-hop traversal, then personalized PageRank.

From the question's entities (and the entities the best seed chunks mention)
we walk up to ``hops`` relation hops over relations whose evidence the
principal may read: at most ``per_node`` relations from one entity and
``node_budget`` a hop.  The walked entities, the chunks that mention them
(the ``chunks_per_entity`` most like the question) and the seed chunks form a
small undirected graph on which networkx runs personalized PageRank
(HippoRAG's idea).  The restart mass sits on the question's entities, each
weighted by its *specificity* 1/df (an entity a few chunks mention says more
than one all chunks mention), and, less, on the seed chunks by score.  A
chunk's graph score is its PageRank mass times its cosine similarity to the
question raised to ``sim_power``: the graph proposes what is connected, the
question's meaning picks among the neighbours of a hub.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
import numpy.typing as npt

from graph.ingest.link import VALUE_TYPES
from graph.ports import GraphStore
from graph.retrieve.types import Edge, Hit, QuestionEntity, RetrieveParams, Subgraph

SEED_ENTITY_CHUNKS = 5  # seed chunks whose entities also start the walk

Mention = tuple[str, str, int, int]  # entity_id, chunk_id, char_start, char_end


def expand(
    store: GraphStore,
    *,
    question_entities: Sequence[QuestionEntity],
    seeds: Sequence[Hit],
    embedding: npt.NDArray[np.float32],
    relation_types: Sequence[str],
    params: RetrieveParams,
) -> Subgraph:
    groups = list(params.groups)
    skip = sorted(VALUE_TYPES)
    seed_ids = [h.chunk_id for h in seeds[:SEED_ENTITY_CHUNKS]]
    start = list(dict.fromkeys(q.entity_id for q in question_entities))
    if seed_ids:
        rows = store.read("retrieve_seed_chunk_entities", {
            "chunk_ids": seed_ids, "groups": groups, "skip_types": skip})
        start += [r["entity_id"] for r in rows if r["entity_id"] not in start]
    edges: list[Edge] = []
    seen = set(start)
    frontier = start
    for _ in range(params.hops):
        if not frontier:
            break
        rows = store.read("retrieve_neighbours", {
            "frontier": frontier, "types": list(relation_types), "groups": groups,
            "skip_types": skip, "budget": params.node_budget, "per_node": params.per_node})
        nxt: list[str] = []
        for r in rows:
            edges.append(Edge(r["src"], r["dst"], r["type"], bool(r["forward"]), r["lemma"] or "",
                              r["chunk_id"], int(r["char_start"]), int(r["char_end"]),
                              float(r["confidence"] or 0.5)))
            if r["dst"] not in seen:
                seen.add(r["dst"])
                nxt.append(r["dst"])
        frontier = nxt
    mentions: list[Mention] = []
    sims: dict[str, float] = {}
    if seen:
        for r in store.read("retrieve_entity_chunks", {
                "entity_ids": sorted(seen), "groups": groups, "embedding": embedding.tolist(),
                "per_entity": params.chunks_per_entity}):
            mentions.append((r["entity_id"], r["chunk_id"], int(r["char_start"]),
                             int(r["char_end"])))
            sims[r["chunk_id"]] = float(r["sim"])
    restart = restart_vector(question_entities, seeds, params.entity_mass)
    ranks = personalized_pagerank(edges, mentions, seeds, restart, params.ppr_alpha)
    for h in seeds:
        sims.setdefault(h.chunk_id, 0.0)
    scores = {c: m ** params.ppr_power * max(sims.get(c, 0.0), 0.0) ** params.sim_power
              for c, m in ranks.items() if m > 0}
    return Subgraph(edges=tuple(edges), mentions=tuple(mentions), chunk_scores=scores)


def restart_vector(question_entities: Sequence[QuestionEntity], seeds: Sequence[Hit],
                   entity_mass: float) -> dict[str, float]:
    """Where the random walk restarts: specific question entities, then seed chunks."""
    restart: dict[str, float] = {}
    spec = {q.entity_id: q.score / max(q.df, 1) for q in question_entities}
    total_spec = sum(spec.values())
    seed_total = sum(max(h.score, 0.0) for h in seeds)
    e_mass = entity_mass if total_spec > 0 else 0.0
    c_mass = 1.0 - e_mass if seed_total > 0 else 0.0
    if e_mass and not c_mass:
        e_mass = 1.0
    for e, w in spec.items():
        restart[e] = restart.get(e, 0.0) + e_mass * w / total_spec
    for h in seeds:
        restart[h.chunk_id] = restart.get(h.chunk_id, 0.0) + c_mass * max(h.score, 0) / (
            seed_total or 1.0)
    return {k: v for k, v in restart.items() if v > 0}


def build_graph(edges: Sequence[Edge], mentions: Sequence[Mention]) -> nx.Graph:
    """Entities ("e:..") and chunks ("c:..") as nodes; relations and mentions as edges."""
    g = nx.Graph()
    for e in edges:
        w = g.get_edge_data(e.src, e.dst, {}).get("weight", 0.0)
        g.add_edge(e.src, e.dst, weight=w + e.confidence)
    for entity_id, chunk_id, _, _ in mentions:
        g.add_edge(entity_id, chunk_id, weight=1.0)
    return g


def personalized_pagerank(
    edges: Sequence[Edge],
    mentions: Sequence[Mention],
    seeds: Sequence[Hit],
    restart: Mapping[str, float],
    alpha: float,
) -> dict[str, float]:
    """PageRank mass of every chunk node for the given restart distribution."""
    g = build_graph(edges, mentions)
    for h in seeds:
        g.add_node(h.chunk_id)
    restart = {n: w for n, w in restart.items() if n in g}
    if not restart:
        return {}
    # Sorted node and edge order makes the power iteration's sums repeatable.
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(g.nodes))
    ordered.add_weighted_edges_from(sorted((min(u, v), max(u, v), d["weight"])
                                           for u, v, d in g.edges(data=True)))
    ranks = nx.pagerank(ordered, alpha=alpha, personalization=dict(restart), weight="weight",
                        tol=1e-10, max_iter=200)
    return {n: s for n, s in ranks.items() if n.startswith("c:")}
