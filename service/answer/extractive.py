"""The offline default generator: quote the best evidence sentences, cited.

Scoring of a source sentence for a question:

* ``coverage`` = IDF-weighted share of the question's content words that the
  sentence contains.  IDF is ``log((n + 1) / (df + 1)) + 1`` over all sentences of the sources;
  a question word that occurs in no sentence weighs ``missing_weight`` times
  that, since a key term the evidence never mentions is the strongest sign
  that the question is not answered there (such questions abstain).
  Question words found only in the sentence before it (same source) count
  ``context_weight`` (``The amount is ...`` after ``Invoice INV-4471 ...``);
  such a sentence is emitted together with that predecessor.
* ``+ rank_weight * score / max score`` of the sentence's source, to prefer
  better-retrieved evidence among similar sentences.

Sentences with ``coverage >= min_coverage`` (and at least ``min_shared``
shared words) are candidates; at most ``max_sentences`` are emitted, best
first, each ending ``[Sn].``.  With none, the reply is
``INSUFFICIENT_EVIDENCE``.  The output goes through the same post-guards as a
model's reply.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from service.answer import text as tx
from service.answer.pre_guards import find_injections
from service.answer.types import Source

INSUFFICIENT = "INSUFFICIENT_EVIDENCE"
_FENCE = re.compile(r"^<<<(?:END )?UNTRUSTED")


@dataclass(frozen=True, slots=True)
class _Sentence:
    order: int
    source: Source
    text: str
    words: frozenset[str]
    prev: int | None  # index of the previous usable sentence of the same source


@dataclass(frozen=True, slots=True)
class _Scored:
    score: float
    sentence: _Sentence
    needs_prev: bool  # part of its coverage came from the previous sentence


@dataclass(frozen=True, slots=True)
class ExtractiveGenerator:
    """Deterministic, model-free answers quoted from the sources."""

    min_coverage: float = 0.5
    min_shared: int = 1
    max_sentences: int = 3
    rank_weight: float = 0.1
    context_weight: float = 0.5  # question words only in the previous sentence count this much
    min_words: int = 3  # shorter sentences (headings, fragments) are not evidence
    missing_weight: float = 2.0
    model_id: str = "extractive"
    kind: ClassVar[str] = "extractive"
    version: ClassVar[str] = "extractive_v1"

    def generate(self, question: str, sources: Sequence[Source]) -> str:
        """A cited answer of source sentences, or ``INSUFFICIENT_EVIDENCE``."""
        qwords = tx.content_words(question)
        sentences = self._sentences(sources)
        if not qwords or not sentences:
            return INSUFFICIENT
        idf = self._idf(qwords, [s.words for s in sentences])
        total = sum(idf.values())
        best_score = max((s.score for s in sources), default=0.0)
        picked: dict[str, _Scored] = {}
        for sent in sentences:
            own = qwords & sent.words
            before = sentences[sent.prev].words if sent.prev is not None else frozenset()
            context = (qwords & before) - own
            coverage = (
                sum(idf[w] for w in own) + self.context_weight * sum(idf[w] for w in context)
            ) / total
            if len(own) < self.min_shared or coverage < self.min_coverage:
                continue
            rank = sent.source.score / best_score if best_score > 0 else 0.0
            cand = _Scored(coverage + self.rank_weight * rank, sent, bool(context))
            key = sent.text.lower()  # overlapping chunks repeat sentences; keep the best copy
            if key not in picked or cand.score > picked[key].score:
                picked[key] = cand
        if not picked:
            return INSUFFICIENT
        ranked = sorted(picked.values(), key=lambda c: (-c.score, c.sentence.order))
        return " ".join(self._emit(ranked, sentences))

    def _emit(self, ranked: Sequence[_Scored], sentences: Sequence[_Sentence]) -> list[str]:
        """Best first; a sentence that leaned on its predecessor brings it along."""
        out: list[str] = []
        seen: set[str] = set()
        for cand in ranked:
            chain = [cand.sentence]
            if cand.needs_prev and cand.sentence.prev is not None:
                chain.insert(0, sentences[cand.sentence.prev])
            for sent in chain:
                if sent.text.lower() not in seen and len(out) < self.max_sentences:
                    seen.add(sent.text.lower())
                    out.append(_cite(sent.text, sent.source.label))
        return out

    def _sentences(self, sources: Sequence[Source]) -> list[_Sentence]:
        out: list[_Sentence] = []
        for src in sources:
            prev: int | None = None
            for s, e in tx.split_sentences(src.text):
                text = " ".join(src.text[s:e].split())
                if not self._usable(text):
                    continue
                out.append(_Sentence(len(out), src, text, frozenset(tx.content_words(text)), prev))
                prev = len(out) - 1
        return out

    def _usable(self, sentence: str) -> bool:
        if _FENCE.match(sentence) or find_injections(sentence):
            return False
        return len(tx.content_words(sentence)) >= self.min_words

    def _idf(self, qwords: set[str], stems: Sequence[frozenset[str]]) -> dict[str, float]:
        n = len(stems)
        weights = {}
        for w in qwords:
            df = sum(w in s for s in stems)
            idf = math.log((n + 1) / (df + 1)) + 1.0
            weights[w] = idf * self.missing_weight if df == 0 else idf
        return weights


def _cite(sentence: str, label: str) -> str:
    """``Claim.`` -> ``Claim [S1].``; a sentence without end punctuation gets one."""
    body = tx.CITATION_RE.sub("", sentence).rstrip()
    end = ""
    while body and body[-1] in ".!?":
        end = body[-1] + end
        body = body[:-1].rstrip()
    return f"{body} [{label}]{end or '.'}"
