"""Analyse stage: embed the question and link its mentions to entities.

The question goes through the same spaCy pipeline as the documents; each
mention is linked by its normalised key first (exact, alias-aware), then by
entity-vector similarity above a threshold.  Only entities that a chunk the
principal may read mentions can be linked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from graph.ingest.link import VALUE_TYPES, normalise
from graph.ports import Embedder, EntityExtractor, GraphStore
from graph.retrieve.types import QuestionAnalysis, QuestionEntity
from graph.schema import IndexNames

_TERM = re.compile(r"[A-Za-z0-9]+")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w'’-]*)*")
# Words that carry no retrieval signal in a question (the analyzer keeps stop words).
QUESTION_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "did", "do", "does", "for", "from",
    "has", "have", "how", "in", "is", "it", "its", "of", "on", "or", "the", "to", "was",
    "were", "what", "when", "where", "which", "who", "whom", "whose", "why", "with",
))


def lucene_terms(text: str, *, operator: str = "OR", drop: frozenset[str] = QUESTION_WORDS) -> str:
    """A fulltext query from plain words only: nothing the user typed is Lucene syntax."""
    terms = [t.lower() for t in _TERM.findall(text)]
    kept = list(dict.fromkeys(t for t in terms if t not in drop))
    return f" {operator} ".join(kept)


def analyse_question(
    question: str,
    *,
    extractor: EntityExtractor,
    embedder: Embedder,
    store: GraphStore,
    names: IndexNames,
    groups: Sequence[str],
    threshold: float,
) -> QuestionAnalysis:
    analysis = extractor.analyse([question])[0]
    mentions = [m for m in analysis.mentions if m.label not in VALUE_TYPES]
    surfaces = list(dict.fromkeys(m.surface for m in mentions))
    # Capitalised words the small model did not tag ("Sughd") are tried by key only.
    covered = [(m.start, m.end) for m in analysis.mentions]
    extra = [
        x.group(0)
        for x in _CAPITALISED.finditer(question)
        if not any(s < x.end() and x.start() < e for s, e in covered)
        and x.group(0).lower() not in QUESTION_WORDS
    ]
    vectors = embedder.embed([question, *surfaces])
    keys = {s: normalise(s) for s in [*surfaces, *extra]}
    rows = [
        {"key": k, "lucene": lucene_terms(k, operator="AND", drop=frozenset({"and"}))}
        for k in dict.fromkeys(keys.values())
        if k
    ]
    rows = [r for r in rows if r["lucene"]]
    by_key: dict[str, QuestionEntity] = {}
    if rows:
        for r in store.read(
            "retrieve_entities_by_keys",
            {"rows": rows, "index": names.entity_fulltext, "groups": list(groups)},
        ):
            by_key.setdefault(
                r["key"],
                QuestionEntity(r["key"], r["id"], r["name"], r["type"], "alias", 1.0, int(r["df"])),
            )
    unmatched = [(s, vectors[i + 1]) for i, s in enumerate(surfaces) if keys[s] not in by_key]
    by_surface: dict[str, QuestionEntity] = {}
    if unmatched:
        for r in store.read(
            "retrieve_entities_similar",
            {
                "rows": [{"key": s, "embedding": v.tolist()} for s, v in unmatched],
                "index": names.entity_vector,
                "pool": 10,
                "threshold": threshold,
                "groups": list(groups),
            },
        ):
            if r["id"] is not None:
                by_surface[r["key"]] = QuestionEntity(
                    r["key"],
                    r["id"],
                    r["name"],
                    r["type"],
                    "vector",
                    float(r["score"]),
                    int(r["df"]),
                )
    linked: dict[str, QuestionEntity] = {}
    for s in [*surfaces, *extra]:
        hit = by_key.get(keys[s]) or by_surface.get(s)
        if hit is not None and hit.entity_id not in linked:
            linked[hit.entity_id] = QuestionEntity(
                s, hit.entity_id, hit.name, hit.type, hit.method, hit.score, hit.df
            )
    residual = question
    for q in linked.values():
        residual = residual.replace(q.surface, " ")
    residual = " ".join(residual.split())
    relation_vec = (
        embedder.embed([residual])[0] if residual != question and residual else vectors[0]
    )
    return QuestionAnalysis(
        question=question,
        embedding=vectors[0],
        entities=tuple(linked.values()),
        lucene=lucene_terms(question),
        relation_embedding=relation_vec,
    )
