"""Provenance paths: the unit of trust.

A path explains why a chunk is in the context, as steps a reviewer can check:
the question's entity, each relation hop with the exact span that states it,
the chunk with an exact quote, and the document version it came from.  Every
``quote`` is ``chunk.text[char_start:char_end]`` of the stored chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Evidence:
    chunk_id: str
    char_start: int
    char_end: int
    quote: str

    def as_dict(self) -> dict[str, Any]:
        return {"chunk_id": self.chunk_id, "char_start": self.char_start,
                "char_end": self.char_end, "quote": self.quote}


@dataclass(frozen=True, slots=True)
class QueryEntityStep:
    surface: str
    entity_id: str
    name: str
    method: str  # how the question's words were linked: "alias" | "vector" | "fulltext"
    kind: str = "query_entity"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "surface": self.surface, "entity_id": self.entity_id,
                "name": self.name, "method": self.method}


@dataclass(frozen=True, slots=True)
class RelationStep:
    source: str  # entity id the hop starts from (as walked, not as stored)
    predicate: str  # ontology relation type, e.g. SUBJECT_TO
    target: str
    lemma: str
    forward: bool  # False when the stored relation points target -> source
    confidence: float
    evidence: Evidence
    kind: str = "relation"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "from": self.source, "predicate": self.predicate,
                "to": self.target, "lemma": self.lemma, "forward": self.forward,
                "confidence": self.confidence, "evidence": self.evidence.as_dict()}


@dataclass(frozen=True, slots=True)
class MentionStep:
    entity_id: str
    name: str
    kind: str = "entity"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "entity_id": self.entity_id, "name": self.name}


@dataclass(frozen=True, slots=True)
class SearchStep:
    """The chunk was found by a search, not by the graph."""

    method: str  # "vector" | "fulltext"
    score: float
    index: str
    kind: str = "search"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "method": self.method, "score": self.score,
                "index": self.index}


@dataclass(frozen=True, slots=True)
class ChunkStep:
    chunk_id: str
    char_start: int
    char_end: int
    quote: str
    kind: str = "chunk"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "chunk_id": self.chunk_id, "char_start": self.char_start,
                "char_end": self.char_end, "quote": self.quote}


@dataclass(frozen=True, slots=True)
class DocumentStep:
    doc_id: str
    uri: str
    title: str
    version: int
    sha256: str
    kind: str = "document"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "doc_id": self.doc_id, "uri": self.uri, "title": self.title,
                "version": self.version, "sha256": self.sha256}


Step = QueryEntityStep | RelationStep | MentionStep | SearchStep | ChunkStep | DocumentStep


@dataclass(frozen=True, slots=True)
class ProvenancePath:
    path_id: str
    chunk_id: str
    score: float
    steps: tuple[Step, ...] = field(default=())

    @property
    def hops(self) -> int:
        return sum(1 for s in self.steps if isinstance(s, RelationStep))

    def as_dict(self) -> dict[str, Any]:
        return {"path_id": self.path_id, "chunk_id": self.chunk_id,
                "score": round(self.score, 6), "hops": self.hops,
                "steps": [s.as_dict() for s in self.steps]}
