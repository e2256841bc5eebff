"""Typed values of guarded generation.

Offsets: a :class:`Source` carries ``text``, which is ``chunk.text[char_start:
char_start + len(text)]`` of the stored chunk (``char_start`` 0 when the whole
chunk is the source).  A :class:`Citation`'s offsets are offsets into the
stored *chunk* text, so ``quote == chunk_text[char_start:char_end]`` always.
"""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = frozenset({"pass", "fail", "redacted", "quarantined", "removed", "refused"})


@dataclass(frozen=True, slots=True)
class Source:
    """One retrieved passage as the answer stage sees it."""

    label: str  # "S1", "S2", ... as shown to the model
    chunk_id: str
    doc_id: str
    text: str
    score: float  # retrieval score; higher is better, any scale
    uri: str = ""
    doc_version: int = 0
    char_start: int = 0  # offset of ``text`` within the chunk, 0 if the whole chunk


@dataclass(frozen=True, slots=True)
class GuardVerdict:
    """What one guard decided, for the audit record."""

    name: str  # "question_policy" | "redaction" | "injection" | "citations" | "support" | ...
    verdict: str  # one of VERDICTS
    detail: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"unknown guard verdict {self.verdict!r}")


@dataclass(frozen=True, slots=True)
class Citation:
    """The source sentence that best supports one answer sentence."""

    source: str  # label, "S1"
    chunk_id: str
    doc_id: str
    char_start: int  # into the stored chunk text
    char_end: int
    quote: str  # == chunk_text[char_start:char_end]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One sampled answer and how it scored (only when n_candidates > 1)."""

    answer: str
    confidence: float
    abstained: bool
    model: str
    kept: int  # sentences that survived the post-guards
    removed: int


@dataclass(frozen=True, slots=True)
class Answer:
    """The checked answer with its citations, guard verdicts and versions."""

    answer: str
    abstained: bool
    reason: str | None  # "insufficient_evidence" | "question_denied" | None
    citations: tuple[Citation, ...]
    confidence: float
    guards: tuple[GuardVerdict, ...]
    generator: str  # "extractive" | "litellm" | "llm"
    model: str
    prompt_version: str
    candidates: tuple[Candidate, ...] = ()
