"""The offline default generator: quote the best evidence sentences, cited.

Scoring of a source sentence for a question:

* ``coverage`` = IDF-weighted share of the question's content words that the
  sentence contains.  IDF is ``log((n + 1) / (df + 1)) + 1`` over all sentences of the sources;
  a question word that occurs in no sentence weighs ``missing_weight`` times
  that, since a key term the evidence never mentions is the strongest sign
  that the question is not answered there (such questions abstain).
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
class _Scored:
    score: float
    order: int
    label: str
    sentence: str


@dataclass(frozen=True, slots=True)
class ExtractiveGenerator:
    """Deterministic, model-free answers quoted from the sources."""

    min_coverage: float = 0.5
    min_shared: int = 1
    max_sentences: int = 3
    rank_weight: float = 0.1
    min_words: int = 3  # shorter sentences (headings, fragments) are not evidence
    missing_weight: float = 2.0
    model_id: str = "extractive"
    kind: ClassVar[str] = "extractive"
    version: ClassVar[str] = "extractive_v1"

    def generate(self, question: str, sources: Sequence[Source]) -> str:
        """A cited answer of source sentences, or ``INSUFFICIENT_EVIDENCE``."""
        qwords = tx.content_words(question)
        sentences = [
            (src, " ".join(src.text[s:e].split()))
            for src in sources
            for s, e in tx.split_sentences(src.text)
        ]
        sentences = [(src, sent) for src, sent in sentences if self._usable(sent)]
        if not qwords or not sentences:
            return INSUFFICIENT
        stems = [tx.content_words(sent) for _, sent in sentences]
        idf = self._idf(qwords, stems)
        best_score = max((s.score for s in sources), default=0.0)
        picked: dict[str, _Scored] = {}
        for order, ((src, sent), words) in enumerate(zip(sentences, stems, strict=True)):
            shared = qwords & words
            coverage = sum(idf[w] for w in shared) / sum(idf.values())
            if len(shared) < self.min_shared or coverage < self.min_coverage:
                continue
            rank = src.score / best_score if best_score > 0 else 0.0
            cand = _Scored(coverage + self.rank_weight * rank, order, src.label, sent)
            key = sent.lower()  # overlapping chunks repeat sentences; keep the best copy
            if key not in picked or (cand.score, -cand.order) > (
                picked[key].score,
                -picked[key].order,
            ):
                picked[key] = cand
        if not picked:
            return INSUFFICIENT
        best = sorted(picked.values(), key=lambda c: (-c.score, c.order))[: self.max_sentences]
        return " ".join(_cite(c.sentence, c.label) for c in best)

    def _usable(self, sentence: str) -> bool:
        if _FENCE.match(sentence) or find_injections(sentence):
            return False
        return len(tx.content_words(sentence)) >= self.min_words

    def _idf(self, qwords: set[str], stems: Sequence[set[str]]) -> dict[str, float]:
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
