"""Question answering, composed: retrieve -> sources -> guarded answer.

The one function both ``kgrag ask`` and ``POST /v1/query`` call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from graph.retrieve.pipeline import retrieve
from graph.retrieve.types import Retrieval, RetrieveParams
from service.answer import Answer, AnswerPolicy, ExtractiveGenerator, Source, answer
from service.answer.pipeline import display_citations
from service.wiring import Services, retrieve_ports


@dataclass(frozen=True, slots=True)
class QAResult:
    retrieval: Retrieval
    answer: Answer

    def as_dict(self) -> dict[str, Any]:
        a = self.answer
        return {
            "answer": a.answer, "abstained": a.abstained, "reason": a.reason,
            "citations": [dataclasses.asdict(c) for c in display_citations(a)],
            "paths": [p.as_dict() for p in self.retrieval.paths
                      if p.chunk_id in {c.chunk_id for c in a.citations}]
            or [p.as_dict() for p in self.retrieval.paths],
            "confidence": round(a.confidence, 4),
            "guards": [dataclasses.asdict(g) for g in a.guards],
            "generator": a.generator, "model": a.model, "prompt_version": a.prompt_version,
            "chunks": [c.as_dict() for c in self.retrieval.chunks],
            "timings_ms": self.retrieval.timings_ms,
            "embedding_index": self.retrieval.index,
            "embedding_space": self.retrieval.space,
            "embedding_model": self.retrieval.embedding_model,
        }


def sources_of(retrieval: Retrieval) -> list[Source]:
    """Numbered sources [S1].. in rank order; offsets are into the stored chunk text."""
    return [Source(label=f"S{i}", chunk_id=c.id, doc_id=c.doc_id, text=c.text, score=c.score,
                   uri=c.uri, doc_version=c.version, char_start=0)
            for i, c in enumerate(retrieval.chunks, start=1)]


def ask(question: str, svc: Services, params: RetrieveParams,
        policy: AnswerPolicy | None = None, n_candidates: int = 1) -> QAResult:
    """Retrieve evidence for ``question`` and answer it from that evidence only."""
    retrieval = retrieve(question, retrieve_ports(svc), params)
    generator = svc.generator.get()
    result = answer(question, sources_of(retrieval), generator=generator,
                    embedder=svc.embedder.get(), policy=policy,
                    n_candidates=n_candidates if not isinstance(generator,
                                                                ExtractiveGenerator) else 1)
    return QAResult(retrieval=retrieval, answer=result)
