"""Typed domain values that flow between ingestion stages.

All character offsets are half-open ``[start, end)`` Python string indices.
Offsets of a :class:`Mention`, :class:`Sentence` or :class:`RelationCandidate`
are into the text that was analysed (a whole document); the write stage turns
them into offsets into the stored chunk text, which is what the graph keeps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """A document as loaded, before analysis."""

    id: str
    uri: str
    title: str
    text: str
    acl: tuple[str, ...] = ("public",)
    source: str = ""  # path or other origin, for error messages
    metadata: tuple[tuple[str, str], ...] = ()

    @property
    def sha256(self) -> str:
        # acl and title are part of what a document *is*: a changed ACL must re-ingest.
        return sha256_text("\x1f".join((self.title, ",".join(sorted(self.acl)), self.text)))


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Mention:
    """An entity mention found in analysed text."""

    start: int
    end: int
    surface: str
    label: str  # ontology class local name, e.g. "Organization"
    extractor: str  # "ner" | "ruler" | "identifier" | "propn" | "acronym"


@dataclass(frozen=True, slots=True)
class RelationCandidate:
    """Two mentions of one sentence joined by a dependency pattern."""

    head: int  # index into Analysis.mentions
    tail: int
    lemma: str  # predicate lemma, e.g. "own", "subject to", "of"
    pattern: str  # "svo" | "prep" | "appos" | "poss" | "copula"
    sentence: Sentence


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the NLP pipeline found in one text."""

    sentences: tuple[Sentence, ...]
    mentions: tuple[Mention, ...]
    relations: tuple[RelationCandidate, ...] = ()
    acronyms: tuple[tuple[str, str], ...] = ()  # (short, long) introduced in text


@dataclass(frozen=True, slots=True)
class ChunkDraft:
    id: str
    doc_id: str
    seq: int
    start: int  # into the document text
    end: int
    text: str

    @property
    def sha256(self) -> str:
        return sha256_text(self.text)


@dataclass(frozen=True, slots=True)
class LinkedMention:
    chunk_id: str
    entity_id: str
    start: int  # into the chunk text
    end: int
    surface: str
    extractor: str


@dataclass(frozen=True, slots=True)
class EntityDraft:
    id: str
    name: str
    type: str  # ontology class local name
    aliases: tuple[str, ...] = ()
    context: str = ""  # short text used for the entity embedding


@dataclass(frozen=True, slots=True)
class RelationDraft:
    """A fact with its evidence span (offsets into the chunk text)."""

    head: str  # entity id
    tail: str
    type: str  # allow-listed ontology relation, e.g. "SUBJECT_TO" or "RELATED_TO"
    predicate: str  # lemma as written
    chunk_id: str
    start: int
    end: int
    confidence: float
    extractor: str


@dataclass(frozen=True, slots=True)
class CoMention:
    a: str
    b: str
    chunk_id: str


@dataclass(frozen=True, slots=True)
class DocumentGraph:
    """Everything the write stage persists for one document."""

    doc: SourceDocument
    chunks: tuple[ChunkDraft, ...]
    entities: tuple[EntityDraft, ...]
    mentions: tuple[LinkedMention, ...]
    relations: tuple[RelationDraft, ...]
    comentions: tuple[CoMention, ...] = ()
    chunk_vectors: tuple[tuple[float, ...], ...] = field(default=(), repr=False)
    entity_vectors: tuple[tuple[float, ...], ...] = field(default=(), repr=False)
    #: Vectors for embedding spaces being built beside the active one:
    #: (model id, chunk vectors, entity vectors), aligned like the two above.
    extra_vectors: tuple[tuple[str, tuple[tuple[float, ...], ...],
                               tuple[tuple[float, ...], ...]], ...] = field(default=(),
                                                                           repr=False)
