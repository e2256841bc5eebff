"""Analyse stage: embed the question and link its mentions to entities.

The question goes through the same spaCy pipeline as the documents; each
mention is linked by its normalised key first (exact, alias-aware), then by
entity-vector similarity above a threshold.  Only entities that a chunk the
principal may read mentions can be linked.

The stage comes in steps so that the pipeline can overlap them with the
searches: :func:`parse_question` (spaCy), :func:`link_by_keys` (one query, which
needs no vector), :func:`embed_mentions` (the mentions no key matched) and
:func:`link_question` (the similarity fallback).  :func:`analyse_question` runs them in order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from graph.ingest.link import VALUE_TYPES, normalise
from graph.ports import Embedder, EntityExtractor, GraphStore
from graph.retrieve.snapshot import GraphSnapshot
from graph.retrieve.types import QuestionAnalysis, QuestionEntity
from graph.schema import IndexNames

_TERM = re.compile(r"[A-Za-z0-9]+")
_LITERAL = re.compile(r"(?<![\w.,-])\d{3,}(?![\w-]|[.,]\d)")  # "949", not "4.5" or "1,000"
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


def question_literals(question: str) -> tuple[str, ...]:
    """Numbers of three digits or more in the question (codes such as ISO 4217's
    "949"): spaCy tags them as quantities, not names, yet one may pick out a
    single document as surely as a name does."""
    return tuple(dict.fromkeys(_LITERAL.findall(question)))


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """What spaCy found in the question: the strings to link, and their keys."""

    question: str
    surfaces: tuple[str, ...]  # typed mentions (no dates or amounts), first occurrence order
    extra: tuple[str, ...]  # capitalised words the small model did not tag: tried by key only
    keys: Mapping[str, str]  # surface -> normalised key

    @property
    def candidates(self) -> tuple[str, ...]:
        return (*self.surfaces, *self.extra)


def parse_question(question: str, extractor: EntityExtractor) -> ParsedQuestion:
    analysis = extractor.analyse([question])[0]
    mentions = [m for m in analysis.mentions if m.label not in VALUE_TYPES]
    surfaces = tuple(dict.fromkeys(m.surface for m in mentions))
    # Capitalised words the small model did not tag ("Sughd") are tried by key only.
    covered = [(m.start, m.end) for m in analysis.mentions]
    extra = tuple(
        x.group(0)
        for x in _CAPITALISED.finditer(question)
        if not any(s < x.end() and x.start() < e for s, e in covered)
        and x.group(0).lower() not in QUESTION_WORDS
    )
    return ParsedQuestion(question, surfaces, extra, {s: normalise(s) for s in (*surfaces, *extra)})


def link_by_keys(parsed: ParsedQuestion, *, store: GraphStore, names: IndexNames,
                 groups: Sequence[str],
                 snapshot: GraphSnapshot | None = None) -> dict[str, QuestionEntity]:
    """Entities whose normalised keys the question's mentions match, by key (from a
    current snapshot of the graph when there is one)."""
    rows = [
        {"key": k, "lucene": lucene_terms(k, operator="AND", drop=frozenset({"and"}))}
        for k in dict.fromkeys(parsed.keys.values())
        if k
    ]
    rows = [r for r in rows if r["lucene"]]
    by_key: dict[str, QuestionEntity] = {}
    if rows:
        found = (snapshot.entities_by_keys([r["key"] for r in rows], groups) if snapshot
                 else store.read("retrieve_entities_by_keys", {
                     "rows": rows, "index": names.entity_fulltext, "groups": list(groups)}))
        for r in found:
            by_key.setdefault(
                r["key"],
                QuestionEntity(r["key"], r["id"], r["name"], r["type"], "alias", 1.0, int(r["df"])),
            )
    return by_key


def embed_mentions(parsed: ParsedQuestion, by_key: Mapping[str, QuestionEntity],
                   embedder: Embedder) -> dict[str, npt.NDArray[np.float32]]:
    """Vectors of the typed mentions no key matched (one batch; none, usually)."""
    unmatched = [s for s in parsed.surfaces if parsed.keys[s] not in by_key]
    if not unmatched:
        return {}
    return dict(zip(unmatched, embedder.embed(unmatched), strict=True))


def residual_question(question: str, surfaces: Sequence[str]) -> str:
    """The question without the linked names: what a chunk one bridge away resembles."""
    residual = question
    for s in surfaces:
        residual = residual.replace(s, " ")
    return " ".join(residual.split())


def link_question(
    parsed: ParsedQuestion,
    mention_vectors: Mapping[str, npt.NDArray[np.float32]],
    by_key: Mapping[str, QuestionEntity],
    *,
    store: GraphStore,
    names: IndexNames,
    groups: Sequence[str],
    threshold: float,
) -> tuple[QuestionEntity, ...]:
    """Key matches first; typed mentions no key matched by entity-vector similarity."""
    keys = parsed.keys
    unmatched = [(s, mention_vectors[s]) for s in parsed.surfaces
                 if keys[s] not in by_key and s in mention_vectors]
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
    for s in parsed.candidates:
        hit = by_key.get(keys[s]) or by_surface.get(s)
        if hit is not None and hit.entity_id not in linked:
            linked[hit.entity_id] = QuestionEntity(
                s, hit.entity_id, hit.name, hit.type, hit.method, hit.score, hit.df
            )
    return tuple(linked.values())


def relation_text(question: str, entities: Sequence[QuestionEntity]) -> str | None:
    """The text to embed as the relation embedding, or None when it is the question."""
    residual = residual_question(question, [q.surface for q in entities])
    return residual if residual != question and residual else None


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
    """All steps in order (the pipeline overlaps them with the searches instead)."""
    parsed = parse_question(question, extractor)
    by_key = link_by_keys(parsed, store=store, names=names, groups=groups)
    embedding = embedder.embed([question])[0]
    entities = link_question(parsed, embed_mentions(parsed, by_key, embedder), by_key,
                             store=store, names=names, groups=groups, threshold=threshold)
    residual = relation_text(question, entities)
    return QuestionAnalysis(
        question=question,
        embedding=embedding,
        entities=entities,
        lucene=lucene_terms(question),
        relation_embedding=embedder.embed([residual])[0] if residual else embedding,
    )
