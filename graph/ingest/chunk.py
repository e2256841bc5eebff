"""Chunk stage: group a document's sentences into overlapping chunks.

A chunk starts at a sentence start and ends at a sentence end, so its text is
exactly ``doc.text[start:end]`` with no leading or trailing whitespace.
Sentences are packed greedily up to ``target_chars``; a longer sentence is a
chunk of its own, and one longer than ``4 * target_chars`` is cut at
whitespace into pieces of about ``target_chars``.  Consecutive chunks share
``overlap_sentences`` sentences so that a fact stated across a boundary is
still whole in one chunk.  Text the sentence list does not cover (it should
not happen) becomes a sentence of its own, so no text is ever dropped.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence
from itertools import pairwise

from graph.model import ChunkDraft, Sentence, SourceDocument

_LONG_FACTOR = 4


def chunk_document(
    doc: SourceDocument,
    sentences: Sequence[Sentence],
    *,
    target_chars: int = 800,
    overlap_sentences: int = 1,
) -> list[ChunkDraft]:
    """Chunks of ``doc`` built from whole ``sentences`` (offsets into ``doc.text``).

    Deterministic: the same document and sentences give the same ids.
    Returns ``[]`` for an empty or whitespace-only document.
    """
    if target_chars < 1 or overlap_sentences < 0:
        raise ValueError("target_chars must be >= 1 and overlap_sentences >= 0")
    text = doc.text
    units = _units(text, sentences, target_chars)
    chunks: list[ChunkDraft] = []
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and units[j + 1][1] - units[i][0] <= target_chars:
            j += 1
        start, end = units[i][0], units[j][1]
        chunks.append(_draft(doc.id, len(chunks), start, text[start:end]))
        if j == len(units) - 1:
            break
        i = max(j + 1 - overlap_sentences, i + 1)
    return chunks


def chunks_containing(chunks: Sequence[ChunkDraft], start: int, end: int) -> list[ChunkDraft]:
    """The chunks whose span fully contains ``[start, end)``, in the given order."""
    return [c for c in chunks if c.start <= start and end <= c.end]


class ChunkIndex:
    """:func:`chunks_containing` in O(log n) for many look-ups over one document.

    Expects chunks as :func:`chunk_document` returns them: starts and ends
    both non-decreasing.
    """

    __slots__ = ("_chunks", "_ends", "_starts")

    def __init__(self, chunks: Sequence[ChunkDraft]) -> None:
        self._chunks = tuple(chunks)
        self._starts = [c.start for c in self._chunks]
        self._ends = [c.end for c in self._chunks]
        if any(a > b for a, b in pairwise(self._starts)) or any(
            a > b for a, b in pairwise(self._ends)
        ):
            raise ValueError("ChunkIndex needs chunks ordered by start and end")

    def containing(self, start: int, end: int) -> list[ChunkDraft]:
        """The chunks whose span fully contains ``[start, end)``."""
        hi = bisect.bisect_right(self._starts, start)  # chunks starting at or before start
        lo = bisect.bisect_left(self._ends, end)  # first chunk ending at or after end
        return list(self._chunks[lo:hi])


def chunk_id(doc_id: str, start: int, end: int, text: str) -> str:
    """The deterministic id of a chunk."""
    key = f"{doc_id}\x1f{start}\x1f{end}\x1f{text}"
    return "c:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _draft(doc_id: str, seq: int, start: int, text: str) -> ChunkDraft:
    end = start + len(text)
    return ChunkDraft(chunk_id(doc_id, start, end, text), doc_id, seq, start, end, text)


def _units(text: str, sentences: Sequence[Sentence], target: int) -> list[tuple[int, int]]:
    """Trimmed, ordered, non-overlapping spans covering every non-space char."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for s in sorted(sentences, key=lambda s: (s.start, s.end)):
        start, end = max(s.start, pos), min(s.end, len(text))
        if start >= end:
            continue
        spans.extend(_trim(text, pos, start))  # uncovered text before this sentence
        spans.extend(_trim(text, start, end))
        pos = end
    spans.extend(_trim(text, pos, len(text)))
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if end - start > _LONG_FACTOR * target:
            out.extend(_split_long(text, start, end, target))
        else:
            out.append((start, end))
    return out


def _trim(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``[start, end)`` without surrounding whitespace; [] when blank."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [(start, end)] if start < end else []


def _split_long(text: str, start: int, end: int, target: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at whitespace into pieces of about ``target``."""
    pieces: list[tuple[int, int]] = []
    while end - start > target:
        cut = _last_space(text, start + target // 2, start + target)
        if cut is None:  # no space in the window: next space, else a hard cut
            cut = _first_space(text, start + target, min(end, start + _LONG_FACTOR * target))
        if cut is None:
            cut = start + target
        pieces.extend(_trim(text, start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    pieces.extend(_trim(text, start, end))
    return pieces


def _last_space(text: str, lo: int, hi: int) -> int | None:
    for k in range(hi, lo, -1):
        if text[k].isspace():
            return k
    return None


def _first_space(text: str, lo: int, hi: int) -> int | None:
    for k in range(lo, hi):
        if text[k].isspace():
            return k
    return None
