"""A confidence score in [0, 1] for a checked answer.

Three parts, each in [0, 1]:

* ``coverage``  = kept sentences / generated sentences (what survived the
  post-guards; an answer that lost half its sentences is less trustworthy).
* ``support``   = 0.5 + 0.5 * mean over kept sentences of the sentence's
  margin, where a sentence's margin is the mean of
  ``(overlap - t_overlap) / (1 - t_overlap)`` and, with an embedder,
  ``(cosine - t_cosine) / (1 - t_cosine)``, each clipped to [0, 1].  A
  sentence that barely passed counts 0.5, a verbatim one 1.0.
* ``retrieval`` = mean over the cited sources of ``score / max score`` of all
  sources in the context (scale-free: it rewards citing the best-ranked
  evidence); 0.5 when no source has a positive score.

``confidence = coverage * (0.6 * support + 0.4 * retrieval)``, rounded to 4
places, and 0.0 when nothing was kept (abstention).
"""

from __future__ import annotations

from collections.abc import Sequence

from service.answer.post_guards import CheckedSentence, Thresholds
from service.answer.types import Source

SUPPORT_WEIGHT = 0.6
RETRIEVAL_WEIGHT = 0.4


def _margin(value: float, threshold: float) -> float:
    if threshold >= 1.0:
        return 1.0 if value >= threshold else 0.0
    return min(1.0, max(0.0, (value - threshold) / (1.0 - threshold)))


def sentence_margin(sentence: CheckedSentence, thresholds: Thresholds) -> float:
    """How far one kept sentence cleared its thresholds, in [0, 1]."""
    margins = [_margin(sentence.overlap, thresholds.overlap)]
    if sentence.cosine is not None:
        margins.append(_margin(sentence.cosine, thresholds.cosine))
    return sum(margins) / len(margins)


def confidence(
    kept: Sequence[CheckedSentence],
    total: int,
    sources: Sequence[Source],
    thresholds: Thresholds | None = None,
) -> float:
    """The documented score; see the module docstring."""
    if not kept or total <= 0:
        return 0.0
    t = thresholds or Thresholds()
    coverage = min(1.0, len(kept) / total)
    support = 0.5 + 0.5 * sum(sentence_margin(s, t) for s in kept) / len(kept)
    best = max((s.score for s in sources), default=0.0)
    cited = {c.source for s in kept for c in s.citations}
    scores = [s.score for s in sources if s.label in cited]
    if best > 0 and scores:
        retrieval = sum(min(1.0, max(0.0, sc / best)) for sc in scores) / len(scores)
    else:
        retrieval = 0.5
    return round(coverage * (SUPPORT_WEIGHT * support + RETRIEVAL_WEIGHT * retrieval), 4)
