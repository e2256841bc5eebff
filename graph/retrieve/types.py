"""Typed values of the retrieval stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from graph.provenance import ProvenancePath


class Mode(StrEnum):
    VECTOR = "vector"
    FULLTEXT = "fulltext"
    HYBRID = "hybrid"
    GRAPH = "graph"


@dataclass(frozen=True, slots=True)
class RetrieveParams:
    k: int = 5
    mode: Mode = Mode.GRAPH
    hops: int = 2
    groups: tuple[str, ...] = ("public",)
    seed_k: int = 20  # candidates per search list before fusion
    node_budget: int = 400  # relations fetched per hop, at most
    per_node: int = 25  # relations followed from one entity, at most (hubs)
    chunks_per_entity: int = 20
    token_budget: int = 2000  # context size, ~4 characters a token
    link_threshold: float = 0.80  # entity-vector similarity for unmatched mentions
    ppr_alpha: float = 0.5  # PageRank damping (HippoRAG uses 0.5)
    entity_mass: float = 0.8  # restart mass on question entities (the rest on seed chunks)
    ppr_power: float = 1.0  # graph score = PageRank^ppr_power x cosine(question, chunk)^sim_power
    sim_power: float = 0.0
    bridge_sim_power: float = 3.0  # bridge score = cosine(question sans names, chunk)^p x weight
    rrf_k: int = 60
    graph_weight: float = 2.0  # weight of the graph lists in the fusion (graph mode) ...
    fulltext_weight: float = 0.5  # BM25 rewards the question's wording; in graph mode, less
    graph_min_ratio: float = 0.05  # graph hits under this share of the best are dropped
    specific_df: int = 30  # ... when a question entity is this specific (else weight 1)


@dataclass(frozen=True, slots=True)
class QuestionEntity:
    surface: str
    entity_id: str
    name: str
    type: str
    method: str  # "alias" | "vector"
    score: float = 1.0
    df: int = 1  # readable chunks that mention it: the rarer, the more specific


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    question: str
    embedding: npt.NDArray[np.float32] = field(repr=False)
    entities: tuple[QuestionEntity, ...]
    lucene: str  # the question as a safe fulltext query
    # The question without the names it links: what a chunk one bridge away, which
    # cannot name them, should be similar to.
    relation_embedding: npt.NDArray[np.float32] | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Hit:
    chunk_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Seeds:
    vector: tuple[Hit, ...]
    fulltext: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class Edge:
    """One stored relation as walked during expansion."""

    src: str
    dst: str
    type: str
    forward: bool
    lemma: str
    chunk_id: str
    char_start: int
    char_end: int
    confidence: float
    dst_df: int = 0  # chunks (readable by the principal) that mention dst, up to 31


@dataclass(frozen=True, slots=True)
class Subgraph:
    edges: tuple[Edge, ...]
    mentions: tuple[tuple[str, str, int, int], ...]  # (entity_id, chunk_id, start, end)
    chunk_scores: dict[str, float]  # personalized PageRank (x similarity) of each chunk
    bridge_scores: dict[str, float] = field(default_factory=dict)  # one bridge entity away
    names: dict[str, str] = field(default_factory=dict)  # entity id -> name (mentions)
    # Chunks that name a specific question entity (or, with none, the best seeds),
    # by similarity to the question: the first hop of the answer.
    direct_scores: dict[str, float] = field(default_factory=dict)
    anchors: tuple[str, ...] = ()  # chunks that state a literal of the question


@dataclass(frozen=True, slots=True)
class RankedChunk:
    chunk_id: str
    score: float
    rank: int
    sources: tuple[str, ...]  # which lists found it: "vector", "fulltext", "graph"


@dataclass(frozen=True, slots=True)
class ContextChunk:
    id: str
    doc_id: str
    text: str
    score: float
    rank: int
    uri: str
    title: str
    version: int
    sha256: str
    found_by: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "doc_id": self.doc_id, "text": self.text,
                "score": round(self.score, 6), "rank": self.rank, "uri": self.uri,
                "title": self.title, "version": self.version, "found_by": list(self.found_by)}


@dataclass(frozen=True, slots=True)
class Retrieval:
    question: str
    mode: Mode
    chunks: tuple[ContextChunk, ...]
    paths: tuple[ProvenancePath, ...]
    entities: tuple[QuestionEntity, ...]
    timings_ms: dict[str, float]
    index: str  # the vector index read
    space: str = ""  # the embedding space it belongs to
    embedding_model: str = ""  # the model that embedded the question (name@version)

    def as_dict(self) -> dict[str, object]:
        return {
            "question": self.question, "mode": self.mode.value,
            "chunks": [c.as_dict() for c in self.chunks],
            "paths": [p.as_dict() for p in self.paths],
            "question_entities": [
                {"surface": e.surface, "entity_id": e.entity_id, "name": e.name,
                 "type": e.type, "method": e.method, "score": round(e.score, 4)}
                for e in self.entities],
            "timings_ms": self.timings_ms, "index": self.index, "space": self.space,
            "embedding_model": self.embedding_model,
        }
