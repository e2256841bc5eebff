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


def graph_hits(chunk_scores: Mapping[str, float], limit: int) -> tuple[Hit, ...]:
    order = sorted(chunk_scores, key=lambda c: (-chunk_scores[c], c))[:limit]
    return tuple(Hit(c, chunk_scores[c]) for c in order if chunk_scores[c] > 0)


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
