"""Expand stage: bounded k-hop traversal, bridge entities, personalized PageRank.

1. **Walk.** From the question's entities (and the entities of the best seed
   chunks) up to ``hops`` relation hops over relations whose evidence the
   principal may read: at most ``per_node`` relations from one entity and
   ``node_budget`` a hop.
2. **Bridges.** The chunks that name a question entity (the *direct* chunks)
   mention other entities; those, and the question entities' relation
   neighbours, are *bridge* entities.  Chunks that mention a bridge but not
   the question's entity are what plain search misses (the 2-hop answer), and
   they are ranked by their similarity to the question: the ``bridge`` list.
3. **PageRank.** Entities, the chunks that mention them and the seed chunks
   form a small undirected graph; networkx runs personalized PageRank
   (HippoRAG's idea) restarting at the question's entities, each weighted by
   its specificity 1/df, and, less, at the seed chunks.  A chunk's graph score
   is its PageRank mass times its cosine similarity to the question.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from graph.ingest.link import VALUE_TYPES
from graph.retrieve.reader import CypherGraph, GraphReader
from graph.retrieve.types import Edge, Hit, QuestionEntity, RetrieveParams, Subgraph

SEED_ENTITY_CHUNKS = 5  # seed chunks whose entities also start the walk
DIRECT_CHUNKS = 3  # direct chunks whose other entities become bridges
MAX_BRIDGE_DF = 30  # an entity in more chunks than this bridges nothing in particular

Mention = tuple[str, str, int, int]  # entity_id, chunk_id, char_start, char_end
Vector = npt.NDArray[np.float32]


def expand(
    graph: GraphReader,
    *,
    question_entities: Sequence[QuestionEntity],
    seeds: Sequence[Hit],
    embedding: npt.NDArray[np.float32],
    relation_types: Sequence[str],
    params: RetrieveParams,
    relation_embedding: Vector | Callable[[], Vector] | None = None,
    anchors: Mapping[str, Sequence[tuple[int, int]]] | None = None,
) -> Subgraph:
    """``graph``: Neo4j (:class:`CypherGraph`) or an in-process snapshot of it.

    ``relation_embedding`` may be a callable: it is called only when the chunks'
    similarities are first fetched, so the pipeline can compute it meanwhile.
    ``anchors``: chunks that contain a literal of the question (a code such as
    "949") found in few chunks, with the sentences that state it; they are direct
    chunks, as if they named a specific question entity, and what the stating
    sentence names is what the literal is about: the better bridge.
    """
    groups = list(params.groups)
    skip = sorted(VALUE_TYPES)
    anchors = anchors or {}
    q_ids = list(dict.fromkeys(q.entity_id for q in question_entities))
    seed_rows = _chunk_entities(graph, list(dict.fromkeys(
        [h.chunk_id for h in seeds[:SEED_ENTITY_CHUNKS]] + list(anchors))), groups, skip)
    start = q_ids + sorted({r["entity_id"] for r in seed_rows} - set(q_ids))

    def vectors() -> tuple[Vector, Vector]:
        rel = relation_embedding() if callable(relation_embedding) else relation_embedding
        return embedding, rel if rel is not None else embedding

    # The start entities' chunks are read while the walk finds the others' (a chunk
    # list is per entity, so two reads give what one would); an in-process snapshot
    # answers both at once anyway.
    if isinstance(graph, CypherGraph):
        with ThreadPoolExecutor(1, thread_name_prefix="kgrag-expand") as ex:
            first = ex.submit(lambda: _entity_chunk_rows(graph, start, vectors(), groups,
                                                         params))
            edges = _walk(graph, start, relation_types, groups, skip, params)
            walked = sorted({e.dst for e in edges} - set(start))
            rows = first.result() + _entity_chunk_rows(graph, walked, vectors(), groups,
                                                       params)
    else:
        edges = _walk(graph, start, relation_types, groups, skip, params)
        walked = sorted({e.dst for e in edges} - set(start))
        rows = _entity_chunk_rows(graph, [*start, *walked], vectors(), groups, params)
    # Entities whose chunks were fetched; a direct chunk's own mentions, added below for
    # the paths, do not count: a bridge needs its *other* chunks.
    have = {*start, *walked}
    found = _collect(rows, sorted(have))
    mentions, sims, rel_sims, names = found.mentions, found.sims, found.rel_sims, found.names
    # Bridges: entities of the best direct chunks, and relation neighbours of the question.
    # Only specific question entities count: chunks naming "ISO" (in every document)
    # are no first hop, and its neighbours no bridges.
    q_set = {q.entity_id for q in question_entities if q.df <= params.specific_df}
    direct = {c for e, c, _, _ in mentions if e in q_set} | set(anchors)
    top_direct = sorted(direct, key=lambda c: (-sims.get(c, 0.0), c))[:DIRECT_CHUNKS]
    direct_scores = {c: sims.get(c, 0.0) for c in direct}
    if not direct:  # nothing specific named: the best seeds are the first hop
        top_direct = [h.chunk_id for h in seeds[:DIRECT_CHUNKS]]
        direct = set(top_direct)
        direct_scores = {c: 1.0 / (i + 1) for i, c in enumerate(top_direct)}
    known = {(e, c) for e, c, _, _ in mentions}
    bridge_rows = _chunk_entities(graph, [c for c in top_direct if c not in
                                          {r["chunk_id"] for r in seed_rows}], groups, skip)
    for r in (*seed_rows, *bridge_rows):  # the direct chunks' own mentions, for the paths
        if (r["entity_id"], r["chunk_id"]) not in known and r["chunk_id"] in top_direct:
            mentions.append((r["entity_id"], r["chunk_id"], r["char_start"], r["char_end"]))
            names.setdefault(r["entity_id"], r["name"])
    # A bridge's weight: 1 when a stated relation joins it to the question's entity,
    # 0.5 when they only share a direct chunk (0.25 if the chunk is an anchor and its
    # sentence stating the literal does not name it).
    weight: dict[str, float] = {}
    for r in (*seed_rows, *bridge_rows):
        if r["chunk_id"] in top_direct and r["df"] <= MAX_BRIDGE_DF:
            spans = anchors.get(r["chunk_id"])
            stated = spans is None or any(s <= r["char_start"] and r["char_end"] <= e
                                          for s, e in spans)
            weight[r["entity_id"]] = max(weight.get(r["entity_id"], 0.0),
                                         0.5 if stated else 0.25)
    for edge in edges:
        if edge.src in q_set and edge.dst_df <= MAX_BRIDGE_DF:
            weight[edge.dst] = 1.0
    bridges = set(weight) - q_set
    extra = sorted(bridges - have)
    more = _collect(_entity_chunk_rows(graph, extra, vectors(), groups, params),
                    extra)
    mentions += more.mentions
    sims.update(more.sims)
    rel_sims.update(more.rel_sims)
    names.update(more.names)
    # Bridge candidates: chunks one bridge away that do not name the question's entity.
    bridge_scores: dict[str, float] = {}
    for e, c, _, _ in mentions:
        if e in bridges and c not in direct:
            score = max(rel_sims.get(c, 0.0), 0.0) ** params.bridge_sim_power * weight[e]
            bridge_scores[c] = max(bridge_scores.get(c, 0.0), score)

    restart = restart_vector(question_entities, seeds, params.entity_mass)
    ranks = personalized_pagerank(edges, mentions, seeds, restart, params.ppr_alpha)
    scores = {c: m ** params.ppr_power * max(sims.get(c, 0.0), 0.0) ** params.sim_power
              for c, m in ranks.items() if m > 0}
    names.update({q.entity_id: q.name for q in question_entities})
    return Subgraph(edges=tuple(edges), mentions=tuple(mentions), chunk_scores=scores,
                    bridge_scores=bridge_scores, names=names, direct_scores=direct_scores,
                    anchors=tuple(anchors))


def _chunk_entities(graph: GraphReader, chunk_ids: Sequence[str], groups: list[str],
                    skip: list[str]) -> list[dict[str, Any]]:
    if not chunk_ids:
        return []
    return graph.chunk_entities(chunk_ids, groups, skip, MAX_BRIDGE_DF + 1)


def _walk(graph: GraphReader, start: Sequence[str], relation_types: Sequence[str],
          groups: list[str], skip: list[str], params: RetrieveParams) -> list[Edge]:
    edges: list[Edge] = []
    seen = set(start)
    frontier = list(start)
    for _ in range(params.hops):
        if not frontier:
            break
        rows = graph.neighbours(frontier, relation_types, groups, skip,
                                budget=params.node_budget, per_node=params.per_node,
                                df_cap=MAX_BRIDGE_DF + 1)
        nxt: list[str] = []
        for src, dst, type_, forward, lemma, chunk_id, s, e, confidence, df in rows:
            edges.append(Edge(src, dst, type_, bool(forward), lemma or "", chunk_id, int(s),
                              int(e), float(confidence or 0.5), int(df)))
            if dst not in seen:
                seen.add(dst)
                nxt.append(dst)
        frontier = nxt
    return edges


@dataclass(frozen=True, slots=True)
class EntityChunks:
    """Chunks that mention some entities: the mentions, and each chunk's similarities."""

    mentions: list[Mention]
    sims: dict[str, float]  # chunk -> cosine to the question
    rel_sims: dict[str, float]  # chunk -> cosine to the question without its names
    names: dict[str, str]  # entity -> name


def _entity_chunk_rows(graph: GraphReader, entity_ids: Sequence[str],
                       vectors: tuple[Vector, Vector], groups: list[str],
                       params: RetrieveParams) -> list[list[Any]]:
    """Per entity: [entity_id, name, chunks] (see retrieve_entity_chunks.cypher)."""
    if not entity_ids:
        return []
    return graph.entity_chunks(entity_ids, vectors[0], vectors[1], groups,
                               params.chunks_per_entity)


def _collect(rows: Sequence[Sequence[Any]], entity_ids: Sequence[str]) -> EntityChunks:
    """The rows as mentions and similarities, in the order of ``entity_ids``: mention
    order decides which path wins a tie."""
    found = EntityChunks([], {}, {}, {})
    position = {e: i for i, e in enumerate(entity_ids)}
    for entity_id, name, chunks in sorted(rows, key=lambda r: position[r[0]]):
        found.names[entity_id] = name
        for chunk_id, char_start, char_end, sim, rel_sim in chunks:
            found.mentions.append((entity_id, chunk_id, int(char_start), int(char_end)))
            found.sims[chunk_id] = float(sim)
            found.rel_sims[chunk_id] = float(rel_sim)
    return found


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


def build_graph(edges: Sequence[Edge], mentions: Sequence[Mention],
                extra_nodes: Sequence[str] = ()) -> nx.Graph:
    """Entities ("e:..") and chunks ("c:..") as nodes; relations (their confidences
    summed) and mentions (weight 1) as edges.  Nodes and edges are added in sorted
    order, which makes PageRank's sums, and so its scores, repeatable."""
    weights: dict[tuple[str, str], float] = {}
    for e in edges:
        key = (e.src, e.dst) if e.src <= e.dst else (e.dst, e.src)
        weights[key] = weights.get(key, 0.0) + e.confidence
    for entity_id, chunk_id, _, _ in mentions:
        weights[(entity_id, chunk_id) if entity_id <= chunk_id else (chunk_id, entity_id)] = 1.0
    g = nx.Graph()
    g.add_nodes_from(sorted({n for pair in weights for n in pair}.union(extra_nodes)))
    g.add_weighted_edges_from(sorted((u, v, w) for (u, v), w in weights.items()))
    return g


def personalized_pagerank(
    edges: Sequence[Edge],
    mentions: Sequence[Mention],
    seeds: Sequence[Hit],
    restart: Mapping[str, float],
    alpha: float,
) -> dict[str, float]:
    """PageRank mass of every chunk node for the given restart distribution."""
    g = build_graph(edges, mentions, [h.chunk_id for h in seeds])
    restart = {n: w for n, w in restart.items() if n in g}
    if not restart:
        return {}
    # Starting from the restart vector (not uniform) keeps unreachable chunks at exactly 0.
    ranks = nx.pagerank(g, alpha=alpha, personalization=dict(restart), weight="weight",
                        tol=1e-10, max_iter=200, nstart=dict(restart))
    return {n: s for n, s in ranks.items() if n.startswith("c:")}
