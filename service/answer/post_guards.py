"""Guards that run after generation: every kept sentence is cited and supported.

A sentence of the answer is kept only when

1. it cites at least one source label and every label it cites exists;
2. its content words (lower-cased, stop words removed, suffix-stemmed) are
   covered by the best-matching sentence of each cited source to at least
   ``Thresholds.overlap`` (default 0.5 of the sentence's content words);
3. with an embedder, the cosine similarity between the sentence and a best
   source sentence is at least ``Thresholds.cosine`` (default 0.55);
4. every number and every capitalised named term of the sentence occurs in
   the cited sources' text.

Support is judged against what the model saw (``view``: the redacted text);
the :class:`Citation` offsets and quotes come from the ORIGINAL source text, so
``quote == chunk_text[char_start:char_end]``.  A reply containing
``INSUFFICIENT_EVIDENCE``, or one with nothing left, abstains.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from graph.ports import Embedder
from service.answer import text as tx
from service.answer.types import Citation, GuardVerdict, Source

INSUFFICIENT = "INSUFFICIENT_EVIDENCE"
_INSUFFICIENT_RE = re.compile(r"INSUFFICIENT[_ ]EVIDENCE")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Minimum support a sentence needs to be kept."""

    overlap: float = 0.5  # fraction of the sentence's content words found in the source
    cosine: float = 0.55  # embedding similarity, only when an embedder is given


@dataclass(frozen=True, slots=True)
class CheckedSentence:
    """A kept sentence, its citations and how well it was supported."""

    text: str  # as it will appear in the answer, with its [Sn] markers
    claim: str  # the sentence without markers
    citations: tuple[Citation, ...]
    overlap: float  # content-word coverage by the cited source sentences
    cosine: float | None  # best similarity to a cited source sentence, None without embedder


@dataclass(frozen=True, slots=True)
class RemovedSentence:
    """A sentence the post-guards dropped, and why."""

    text: str
    guard: str  # "citations" | "support"
    reason: str


@dataclass(frozen=True, slots=True)
class Verification:
    """Everything :func:`check` found about one generated answer."""

    kept: tuple[CheckedSentence, ...]
    removed: tuple[RemovedSentence, ...]
    verdicts: tuple[GuardVerdict, ...]
    abstained: bool

    @property
    def total(self) -> int:
        return len(self.kept) + len(self.removed)


@dataclass(frozen=True, slots=True)
class _SourceIndex:
    source: Source
    spans: tuple[tuple[int, int], ...]  # sentences of the original text
    seen: tuple[str, ...]  # the same sentences as the model saw them
    stems: tuple[frozenset[str], ...]
    seen_text: str


@dataclass(frozen=True, slots=True)
class _Pending:
    sentence: str
    claim: str
    best: tuple[tuple[_SourceIndex, int], ...]  # contributing (source, sentence index)
    overlap: float


def _index(source: Source, view: Callable[[str], str] | None) -> _SourceIndex:
    spans = tuple(tx.split_sentences(source.text))
    seen = tuple(view(source.text[s:e]) if view else source.text[s:e] for s, e in spans)
    stems = tuple(frozenset(tx.content_words(t)) for t in seen)
    return _SourceIndex(source, spans, seen, stems, view(source.text) if view else source.text)


def _short(sentence: str) -> str:
    return sentence if len(sentence) <= 60 else sentence[:57] + "..."


def _lexical(sentence: str, sources: dict[str, _SourceIndex], t: Thresholds) -> _Pending | str:
    """Citation and lexical checks; a reason string when the sentence fails."""
    labels = tx.cited_labels(sentence)
    claim = tx.strip_citations(sentence)
    words = tx.content_words(claim)
    if not words:
        return "no content words"
    best: list[tuple[_SourceIndex, int]] = []
    covered: set[str] = set()
    for label in labels:
        idx = sources[label]
        scores = [len(words & stems) for stems in idx.stems]
        if scores and max(scores) > 0:
            i = scores.index(max(scores))
            best.append((idx, i))
            covered |= words & idx.stems[i]
    overlap = len(covered) / len(words)
    if overlap < t.overlap:
        return f"overlap {overlap:.2f} < {t.overlap}"
    evidence = "\n".join(idx.seen_text for idx in (sources[lb] for lb in labels))
    missing_numbers = tx.numbers_supported(claim, evidence)
    if missing_numbers:
        return f"number {', '.join(missing_numbers)} not in cited text"
    missing_terms = tx.terms_missing(tx.named_terms(claim), evidence)
    if missing_terms:
        return f"term {', '.join(missing_terms)} not in cited text"
    return _Pending(sentence, claim, tuple(best), overlap)


def _cosines(pending: Sequence[_Pending], embedder: Embedder) -> list[float]:
    """Best cosine of each claim with its contributing source sentences (one embed call)."""
    texts = [p.claim for p in pending]
    for p in pending:
        texts.extend(idx.seen[i] for idx, i in p.best)
    vectors = np.asarray(embedder.embed(texts), dtype=np.float64)
    out, pos = [], len(pending)
    for n, p in enumerate(pending):
        rows = vectors[pos : pos + len(p.best)]
        pos += len(p.best)
        out.append(float(np.max(rows @ vectors[n])) if len(rows) else 0.0)
    return out


def _finish(p: _Pending, cosine: float | None) -> CheckedSentence:
    citations = []
    for idx, i in p.best:
        s, e = idx.spans[i]
        src = idx.source
        citations.append(
            Citation(
                src.label,
                src.chunk_id,
                src.doc_id,
                src.char_start + s,
                src.char_start + e,
                src.text[s:e],
            )
        )
    used = {c.source for c in citations}
    # a cited label that contributed nothing loses its marker, so text and citations agree
    text = re.sub(r"\s*\[(S\d+)\]", lambda m: m.group() if m.group(1) in used else "", p.sentence)
    return CheckedSentence(text.strip(), p.claim, tuple(citations), p.overlap, cosine)


def _verdict(name: str, removed: Sequence[tuple[int, RemovedSentence]], total: int) -> GuardVerdict:
    mine = [(n, r) for n, r in removed if r.guard == name]
    if not mine:
        return GuardVerdict(name, "pass", f"{total} sentence(s) checked")
    detail = "; ".join(f'#{n} "{_short(r.text)}": {r.reason}' for n, r in mine)
    return GuardVerdict(name, "removed", f"removed {len(mine)}/{total}: {detail}")


def check(
    answer_text: str,
    sources: Sequence[Source],
    embedder: Embedder | None = None,
    thresholds: Thresholds | None = None,
    *,
    view: Callable[[str], str] | None = None,
) -> Verification:
    """Verify every sentence of ``answer_text`` against the ORIGINAL ``sources``.

    ``view`` maps an original source sentence to the text the model saw
    (redaction); support is judged on that, offsets on the original.
    """
    t = thresholds or Thresholds()
    if _INSUFFICIENT_RE.search(answer_text) or not answer_text.strip():
        said = "model reported INSUFFICIENT_EVIDENCE" if answer_text.strip() else "empty reply"
        return Verification(
            (), (), (GuardVerdict("evidence", "fail", f"insufficient_evidence: {said}"),), True
        )
    indexed = {s.label: _index(s, view) for s in sources}
    sentences = tx.split_answer(answer_text)
    removed: list[tuple[int, RemovedSentence]] = []
    pending: list[tuple[int, _Pending]] = []
    for n, sentence in enumerate(sentences, start=1):
        labels = tx.cited_labels(sentence)
        missing = [lb for lb in labels if lb not in indexed]
        if not labels or missing:
            why = "no citation" if not labels else f"cites missing {', '.join(missing)}"
            removed.append((n, RemovedSentence(sentence, "citations", why)))
            continue
        result = _lexical(sentence, indexed, t)
        if isinstance(result, str):
            removed.append((n, RemovedSentence(sentence, "support", result)))
        else:
            pending.append((n, result))
    cosines: list[float | None] = [None] * len(pending)
    if embedder is not None and pending:
        cosines = list(_cosines([p for _, p in pending], embedder))
    kept: list[CheckedSentence] = []
    for (n, p), cos in zip(pending, cosines, strict=True):
        if cos is not None and cos < t.cosine:
            removed.append(
                (n, RemovedSentence(p.sentence, "support", f"cosine {cos:.2f} < {t.cosine}"))
            )
        else:
            kept.append(_finish(p, cos))
    removed.sort(key=lambda nr: nr[0])
    total = len(sentences)
    verdicts = [_verdict("citations", removed, total), _verdict("support", removed, total)]
    if kept:
        verdicts.append(
            GuardVerdict("evidence", "pass", f"{len(kept)}/{total} sentence(s) supported")
        )
    else:
        verdicts.append(
            GuardVerdict("evidence", "fail", "insufficient_evidence: no supported sentence")
        )
    return Verification(tuple(kept), tuple(r for _, r in removed), tuple(verdicts), not kept)


def verify(
    answer_text: str,
    sources: Sequence[Source],
    embedder: Embedder | None = None,
    thresholds: Thresholds | None = None,
    *,
    view: Callable[[str], str] | None = None,
) -> tuple[tuple[CheckedSentence, ...], list[GuardVerdict]]:
    """Kept sentences (with citations) and the guard verdicts; see :func:`check`."""
    result = check(answer_text, sources, embedder, thresholds, view=view)
    return result.kept, list(result.verdicts)
