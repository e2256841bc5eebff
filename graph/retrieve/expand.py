"""Expand stage: bounded k-hop traversal, then personalized PageRank.

From the question's entities (and the entities the best seed chunks mention)
we walk up to ``hops`` relation hops, at most ``node_budget`` relations a hop,
over relations whose evidence the principal may read.  The walked entities,
the chunks that mention them and the seed chunks form a small undirected graph
on which networkx runs personalized PageRank (HippoRAG's idea): the restart
mass sits on the question's entities and, less, on the seed chunks, so a chunk
scores high when it is close to what the question names even if its words are
not like the question's.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from graph.ingest.link import VALUE_TYPES
from graph.ports import GraphStore
from graph.retrieve.types import Edge, Hit, RetrieveParams, Subgraph

ENTITY_MASS = 0.7  # share of the restart mass on question entities (when there are any)
SEED_ENTITY_CHUNKS = 5  # seed chunks whose entities also start the walk


def expand(
    store: GraphStore,
    *,
    question_entities: Sequence[str],
    seeds: Sequence[Hit],
    relation_types: Sequence[str],
    params: RetrieveParams,
) -> Subgraph:
    groups = list(params.groups)
    skip = sorted(VALUE_TYPES)
    seed_ids = [h.chunk_id for h in seeds[:SEED_ENTITY_CHUNKS]]
    start = list(dict.fromkeys(question_entities))
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
            "skip_types": skip, "budget": params.node_budget})
        nxt: list[str] = []
        for r in rows:
            edges.append(Edge(r["src"], r["dst"], r["type"], bool(r["forward"]), r["lemma"] or "",
                              r["chunk_id"], int(r["char_start"]), int(r["char_end"]),
                              float(r["confidence"] or 0.5)))
            if r["dst"] not in seen:
                seen.add(r["dst"])
                nxt.append(r["dst"])
        frontier = nxt
    entity_ids = sorted(seen)
    mentions = tuple(
        (r["entity_id"], r["chunk_id"], int(r["char_start"]), int(r["char_end"]))
        for r in store.read("retrieve_entity_chunks", {
            "entity_ids": entity_ids, "groups": groups,
            "per_entity": params.chunks_per_entity})
    ) if entity_ids else ()
    scores = personalized_pagerank(edges, mentions, question_entities, seeds, params.ppr_alpha)
    return Subgraph(edges=tuple(edges), mentions=mentions, chunk_scores=scores)


def build_graph(edges: Sequence[Edge], mentions: Sequence[tuple[str, str, int, int]]) -> nx.Graph:
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
    mentions: Sequence[tuple[str, str, int, int]],
    question_entities: Sequence[str],
    seeds: Sequence[Hit],
    alpha: float,
) -> dict[str, float]:
    """PageRank mass of every chunk node, restarting at the question's entities/seeds."""
    g = build_graph(edges, mentions)
    for h in seeds:
        g.add_node(h.chunk_id)
    restart: dict[str, float] = {}
    q = [e for e in question_entities if e in g]
    seed_total = sum(max(h.score, 0.0) for h in seeds) or 1.0
    chunk_mass = 1.0 - ENTITY_MASS if q else 1.0
    for e in q:
        restart[e] = restart.get(e, 0.0) + ENTITY_MASS / len(q)
    for h in seeds:
        restart[h.chunk_id] = restart.get(h.chunk_id, 0.0) + chunk_mass * max(h.score, 0) / seed_total
    if not restart or g.number_of_nodes() == 0:
        return {}
    # Sorted node order makes the power iteration's floating-point sums repeatable.
    ordered = nx.Graph()
    ordered.add_nodes_from(sorted(g.nodes))
    ordered.add_weighted_edges_from(sorted((u, v, d["weight"]) for u, v, d in g.edges(data=True)))
    ranks = nx.pagerank(ordered, alpha=alpha, personalization=restart, weight="weight",
                        tol=1e-10, max_iter=200)
    return {n: s for n, s in ranks.items() if n.startswith("c:")}
