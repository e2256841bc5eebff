"""Rank stage: reciprocal rank fusion of the lists the mode uses.

``score(c) = sum over lists L containing c of w_L / (rrf_k + rank_L(c))`` with
ranks from 1: RRF (Cormack et al., 2009; k = 60), with a weight per list (the
graph list counts double in graph mode, see RetrieveParams.graph_weight).  It needs no score
calibration between cosine, BM25 and PageRank.  Ties break by chunk id, so the
same inputs always give the same order.  Chunks of one document whose spans
overlap by more than half of the shorter span keep only the better one (the
one-sentence overlap of consecutive chunks alone does not count).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from graph.retrieve.types import Hit, RankedChunk

Span = tuple[str, int, int]  # doc_id, char_start, char_end


def rrf(lists: Mapping[str, Sequence[Hit]], rrf_k: int,
        weights: Mapping[str, float] | None = None) -> list[RankedChunk]:
    scores: dict[str, float] = {}
    found: dict[str, list[str]] = {}
    for name in sorted(lists):
        w = (weights or {}).get(name, 1.0)
        for rank, hit in enumerate(lists[name], start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + w / (rrf_k + rank)
            found.setdefault(hit.chunk_id, []).append(name)
    order = sorted(scores, key=lambda c: (-scores[c], c))
    return [RankedChunk(c, scores[c], i, tuple(found[c])) for i, c in enumerate(order, start=1)]


def graph_hits(chunk_scores: Mapping[str, float], limit: int,
               min_ratio: float = 0.0) -> tuple[Hit, ...]:
    """The best-scored chunks; those under ``min_ratio`` of the best are noise, not hits."""
    order = sorted(chunk_scores, key=lambda c: (-chunk_scores[c], c))[:limit]
    floor = max(chunk_scores.values(), default=0.0) * min_ratio
    return tuple(Hit(c, chunk_scores[c]) for c in order if chunk_scores[c] > max(floor, 0.0))


def drop_overlaps(ranked: Sequence[RankedChunk], spans: Mapping[str, Span]) -> list[RankedChunk]:
    """Keep a chunk unless a better-ranked chunk of its document mostly covers it."""
    kept: list[RankedChunk] = []
    taken: list[Span] = []
    for r in ranked:
        span = spans.get(r.chunk_id)
        if span is None:
            continue  # not readable any more (deleted or ACL): never shown
        doc, start, end = span
        if any(d == doc and _overlap(start, end, s, e) > 0.5 for d, s, e in taken):
            continue
        taken.append(span)
        kept.append(RankedChunk(r.chunk_id, r.score, len(kept) + 1, r.sources))
    return kept


def _overlap(a0: int, a1: int, b0: int, b1: int) -> float:
    inter = min(a1, b1) - max(a0, b0)
    shorter = min(a1 - a0, b1 - b0)
    return inter / shorter if inter > 0 and shorter > 0 else 0.0


def hop_interleave(fused: Sequence[RankedChunk], direct: Sequence[Hit],
                   bridge: Sequence[Hit], rrf_k: int) -> list[RankedChunk]:
    """Hop-aware fusion: slots taken in turn from three lists, a placed chunk skipped.

    Slot 1 goes to the best *direct* chunk (it names the question's specific entity:
    the first hop), slot 2 to the best *bridge* chunk (one bridge entity away: the
    second hop, which the question does not name), slot 3 to the best fused chunk
    (vector, fulltext, PageRank), and so on.  A 1-hop answer is the first direct
    chunk; a 2-hop answer needs the first two slots.  Each keeps a rank-based score,
    1 / (rrf_k + slot).
    """
    turns = (("direct", [h.chunk_id for h in direct]), ("bridge", [h.chunk_id for h in bridge]),
             ("", [r.chunk_id for r in fused]))
    found = {r.chunk_id: r.sources for r in fused}
    pos = dict.fromkeys((name for name, _ in turns), 0)
    out: list[RankedChunk] = []
    placed: set[str] = set()
    while any(pos[name] < len(ids) for name, ids in turns):
        for name, ids in turns:
            while pos[name] < len(ids) and ids[pos[name]] in placed:
                pos[name] += 1
            if pos[name] >= len(ids):
                continue
            cid = ids[pos[name]]
            pos[name] += 1
            placed.add(cid)
            sources = tuple(sorted({*found.get(cid, ()), *((name,) if name else ())}))
            out.append(RankedChunk(cid, 1.0 / (rrf_k + len(out) + 1), len(out) + 1, sources))
    return out
