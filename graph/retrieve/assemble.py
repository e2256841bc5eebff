"""Assemble stage: the context within a token budget, and a provenance path per chunk.

A graph path is found by a breadth-first walk over the relations the
expansion fetched (all readable by the principal), from the question's
entities -- or, failing that, from the entities of a seed chunk -- to an
entity the chunk mentions.  Each relation step quotes its evidence span; the
chunk step quotes the sentence that mentions the final entity.  A chunk the
searches found gets a search path as well, with its score.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph.provenance import (
    ChunkStep,
    DocumentStep,
    Evidence,
    MentionStep,
    ProvenancePath,
    QueryEntityStep,
    RelationStep,
    SearchStep,
    Step,
)
from graph.retrieve.types import ContextChunk, Edge, Hit, QuestionEntity, RankedChunk, Subgraph

CHARS_PER_TOKEN = 4
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|\n+")


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of ``text`` around ``[start, end)``, trimmed of whitespace."""
    s, e = 0, len(text)
    for m in _BOUNDARY.finditer(text):
        if m.end() <= start:
            s = m.end()
        elif m.start() >= end:
            e = m.start()
            break
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


@dataclass(frozen=True, slots=True)
class Start:
    """Where a graph walk begins: a question entity, or an entity of a seed chunk."""

    entity_id: str
    steps: tuple[Step, ...]
    seed_chunk: str = ""  # the seed chunk that names the entity, for a seed start


def walk(starts: Sequence[Start],
         edges: Sequence[Edge]) -> dict[str, tuple[Start, tuple[Edge, ...]]]:
    """Shortest relation path to every reachable entity (ties: first start, edge order)."""
    adj: dict[str, list[Edge]] = {}
    for e in edges:
        adj.setdefault(e.src, []).append(e)
    best: dict[str, tuple[Start, tuple[Edge, ...]]] = {}
    queue: deque[str] = deque()
    for s in starts:
        if s.entity_id not in best:
            best[s.entity_id] = (s, ())
            queue.append(s.entity_id)
    while queue:
        node = queue.popleft()
        start, path = best[node]
        for e in adj.get(node, ()):
            if e.dst not in best:
                best[e.dst] = (start, (*path, e))
                queue.append(e.dst)
    return best


def assemble(
    ranked: Sequence[RankedChunk],
    rows: Mapping[str, Mapping[str, Any]],
    *,
    k: int,
    token_budget: int,
    question_entities: Sequence[QuestionEntity],
    seeds: Mapping[str, Sequence[Hit]],
    subgraph: Subgraph | None,
    names: Mapping[str, str],
    index_names: Mapping[str, str],
) -> tuple[tuple[ContextChunk, ...], tuple[ProvenancePath, ...]]:
    """Top-k chunks within the budget, each with at least one provenance path."""
    chunks: list[ContextChunk] = []
    used = 0
    for r in ranked:
        row = rows[r.chunk_id]
        cost = len(row["text"]) // CHARS_PER_TOKEN + 1
        if chunks and (len(chunks) >= k or used + cost > token_budget):
            break
        used += cost
        chunks.append(ContextChunk(
            id=r.chunk_id, doc_id=row["doc_id"], text=row["text"], score=r.score,
            rank=len(chunks) + 1, uri=row["uri"], title=row["title"],
            version=int(row["version"]), sha256=row["sha256"], found_by=r.sources))
    reach = _reach(question_entities, seeds, subgraph, rows, names)
    by_chunk: dict[str, list[tuple[str, int, int]]] = {}
    for entity_id, chunk_id, s, e in subgraph.mentions if subgraph else ():
        by_chunk.setdefault(chunk_id, []).append((entity_id, s, e))
    scores = {name: {h.chunk_id: h for h in hits} for name, hits in seeds.items()}
    paths: list[ProvenancePath] = []
    for c in chunks:
        doc = DocumentStep(c.doc_id, c.uri, c.title, c.version, rows[c.id]["sha256"])
        graph_path = _graph_path(c, by_chunk.get(c.id, []), reach, rows, names)
        if graph_path is not None:
            paths.append(ProvenancePath(f"p{len(paths) + 1}", c.id, c.score, (*graph_path, doc)))
        for method in ("vector", "fulltext"):
            hit = scores.get(method, {}).get(c.id)
            if hit is not None:
                quote = ChunkStep(c.id, 0, len(c.text), c.text)
                search = SearchStep(method, round(hit.score, 6), index_names[method])
                paths.append(ProvenancePath(f"p{len(paths) + 1}", c.id, c.score,
                                            (search, quote, doc)))
    return tuple(chunks), tuple(paths)


def _reach(question_entities: Sequence[QuestionEntity], seeds: Mapping[str, Sequence[Hit]],
           subgraph: Subgraph | None, rows: Mapping[str, Mapping[str, Any]],
           names: Mapping[str, str]) -> list[dict[str, tuple[Start, tuple[Edge, ...]]]]:
    """Walks in order of preference: from the question's entities, then from seed chunks."""
    if subgraph is None:
        return []
    edges = _both_ways(subgraph.edges)
    starts = [Start(q.entity_id, (QueryEntityStep(q.surface, q.entity_id, q.name, q.method),))
              for q in question_entities]
    seed_hits = {h.chunk_id: (m, h) for m in ("vector", "fulltext") for h in seeds.get(m, ())}
    seed_starts = []
    for entity_id, chunk_id, s, e in subgraph.mentions:
        if chunk_id in seed_hits and chunk_id in rows:
            method, hit = seed_hits[chunk_id]
            text = rows[chunk_id]["text"]
            qs, qe = sentence_span(text, s, e)
            seed_starts.append(Start(entity_id, (
                SearchStep(method, round(hit.score, 6), ""),
                ChunkStep(chunk_id, qs, qe, text[qs:qe]),
                MentionStep(entity_id, names.get(entity_id, entity_id))), chunk_id))
    return [walk(starts, edges), walk(seed_starts, edges)]


def chunks_to_fetch(candidates: Sequence[str], question_entities: Sequence[QuestionEntity],
                    seeds: Mapping[str, Sequence[Hit]], subgraph: Subgraph | None,
                    best: Iterable[str] = ()) -> list[str]:
    """The chunks :func:`assemble` reads: the candidates, the ``best`` of each list,
    the seeds that are some relation's evidence (the walks may start from them), and
    the evidence each candidate's provenance path quotes.  Not every relation's
    evidence chunk: at 10k chunks that was ~110 chunks a question, where ~30 are read
    (the paths are the same: tests compare them)."""
    seed_hits = {h.chunk_id for m in ("vector", "fulltext") for h in seeds.get(m, ())}
    evidence = {e.chunk_id for e in subgraph.edges} if subgraph else set()
    read = set(candidates) | set(best) | (seed_hits & evidence)
    if subgraph is not None:
        edges = _both_ways(subgraph.edges)
        walks = [walk([Start(q.entity_id, ()) for q in question_entities], edges),
                 walk([Start(e, (), c) for e, c, _, _ in subgraph.mentions
                       if c in seed_hits and c in read], edges)]
        by_chunk: dict[str, list[str]] = {}
        for entity_id, chunk_id, _, _ in subgraph.mentions:
            by_chunk.setdefault(chunk_id, []).append(entity_id)
        for c in candidates:
            # the option _graph_path takes when every evidence chunk is readable
            options = sorted((w, len(reach[e][1]), e) for w, reach in enumerate(walks)
                             for e in by_chunk.get(c, ()) if e in reach)
            for w, _, entity_id in options:
                start, hops = walks[w][entity_id]
                if w == 1 and not hops and start.seed_chunk == c:
                    continue
                read.update(h.chunk_id for h in hops)
                break
    return sorted(read)


def _both_ways(edges: Sequence[Edge]) -> list[Edge]:
    """Relations are walked in either direction; ``forward`` records the stored one."""
    out = list(edges)
    out += [Edge(e.dst, e.src, e.type, not e.forward, e.lemma, e.chunk_id, e.char_start,
                 e.char_end, e.confidence) for e in edges]
    return out


def _graph_path(c: ContextChunk, mentions: Sequence[tuple[str, int, int]],
                walks: Sequence[Mapping[str, tuple[Start, tuple[Edge, ...]]]],
                rows: Mapping[str, Mapping[str, Any]], names: Mapping[str, str]
                ) -> tuple[Step, ...] | None:
    # A walk from the question's own entities beats one from a seed chunk; fewest hops first.
    options = sorted((w, len(reach[e][1]), e, s, t) for w, reach in enumerate(walks)
                     for e, s, t in mentions if e in reach)
    for w, _, entity_id, s, e in options:
        start, hops = walks[w][entity_id]
        steps: list[Step] = list(start.steps)
        ok = True
        for h in hops:
            ev = rows.get(h.chunk_id)
            if ev is None:  # evidence chunk not fetched: cannot quote it, do not claim it
                ok = False
                break
            quote = ev["text"][h.char_start:h.char_end]
            steps.append(RelationStep(h.src, h.type, h.dst, h.lemma, h.forward, h.confidence,
                                      Evidence(h.chunk_id, h.char_start, h.char_end, quote)))
        if not ok:
            continue
        if not hops and start.seed_chunk == c.id:
            continue  # the seed chunk itself: its search path says it all
        qs, qe = sentence_span(c.text, s, e)
        steps.append(ChunkStep(c.id, qs, qe, c.text[qs:qe]))
        return tuple(steps)
    return None
