"""Guarded generation: cited answers that are checked after generation.

The flow (see :func:`service.answer.pipeline.answer`)::

    question policy -> redact -> quarantine injections -> prompt -> generate
        -> verify citations and support -> confidence -> Answer

Everything here is pure Python + numpy; the model arrives through the
``graph.ports.LLM`` / ``graph.ports.Embedder`` Protocols or is the offline
:class:`~service.answer.extractive.ExtractiveGenerator`.
"""

from __future__ import annotations

from service.answer.extractive import ExtractiveGenerator
from service.answer.pipeline import AnswerPolicy, answer, display_citations
from service.answer.post_guards import Thresholds, verify
from service.answer.types import Answer, Candidate, Citation, GuardVerdict, Source

__all__ = [
    "Answer",
    "AnswerPolicy",
    "Candidate",
    "Citation",
    "ExtractiveGenerator",
    "GuardVerdict",
    "Source",
    "Thresholds",
    "answer",
    "display_citations",
    "verify",
]
