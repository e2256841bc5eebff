"""Relate stage: relation candidates to typed, evidence-carrying facts.

A candidate's predicate lemma is mapped to an ontology relation by the lemma
lists the ontology declares (``kg:lemma`` / ``kg:inverseLemma``); a lemma no
relation claims stays a ``RELATED_TO`` with the lemma as its predicate.  The
evidence is the whole sentence, as offsets into the first chunk that holds it.
Co-mentions in one chunk become weaker, counted ``CO_MENTIONED`` edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from graph.ingest.chunk import chunks_containing
from graph.model import Analysis, ChunkDraft, CoMention, LinkedMention, RelationDraft
from ontology import Ontology

GENERIC = "RELATED_TO"
# How much a dependency pattern is trusted; a lemma the ontology knows adds BONUS.
PATTERN_CONFIDENCE = {"svo": 0.75, "prep": 0.7, "copula": 0.7, "attribute": 0.7, "appos": 0.6,
                      "poss": 0.5}
BONUS = 0.15
MAX_COMENTION_ENTITIES = 25  # a chunk naming more entities than this adds no pairs
SKIP_COMENTION_TYPES = frozenset({"Date", "Money"})


def relate_document(
    analysis: Analysis,
    chunks: Sequence[ChunkDraft],
    entity_of_mention: Sequence[str | None],
    ontology: Ontology,
) -> tuple[RelationDraft, ...]:
    """Typed relations with their evidence sentence, deduplicated."""
    out: dict[tuple[str, str, str, str, int], RelationDraft] = {}
    for cand in analysis.relations:
        head, tail = entity_of_mention[cand.head], entity_of_mention[cand.tail]
        if head is None or tail is None or head == tail:
            continue
        holders = chunks_containing(chunks, cand.sentence.start, cand.sentence.end)
        if not holders:
            continue  # a sentence longer than any chunk: no exact evidence span
        chunk = holders[0]
        mapped = ontology.relation_for_lemma(cand.lemma)
        rtype, confidence = GENERIC, PATTERN_CONFIDENCE.get(cand.pattern, 0.5)
        if mapped is not None:
            rtype, inverted = mapped
            confidence = min(1.0, confidence + BONUS)
            if inverted:
                head, tail = tail, head
        rtype = ontology.check_relationship_type(rtype)
        start, end = cand.sentence.start - chunk.start, cand.sentence.end - chunk.start
        key = (head, tail, rtype, chunk.id, start)
        if key not in out:
            out[key] = RelationDraft(head=head, tail=tail, type=rtype, predicate=cand.lemma,
                                     chunk_id=chunk.id, start=start, end=end,
                                     confidence=round(confidence, 3),
                                     extractor=f"dep:{cand.pattern}")
    return tuple(out[k] for k in sorted(out))


def comentions(mentions: Sequence[LinkedMention], types: dict[str, str]) -> tuple[CoMention, ...]:
    """Unordered entity pairs that share a chunk (one row per pair and chunk)."""
    by_chunk: dict[str, set[str]] = {}
    for m in mentions:
        if types.get(m.entity_id) not in SKIP_COMENTION_TYPES:
            by_chunk.setdefault(m.chunk_id, set()).add(m.entity_id)
    pairs: list[CoMention] = []
    for chunk_id in sorted(by_chunk):
        ids = sorted(by_chunk[chunk_id])
        if len(ids) > MAX_COMENTION_ENTITIES:
            continue
        pairs.extend(CoMention(a, b, chunk_id) for a, b in combinations(ids, 2))
    return tuple(pairs)
