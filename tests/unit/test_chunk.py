"""The chunk stage, with hand-made sentences (no spaCy)."""

from __future__ import annotations

import hashlib
import random
import re
from itertools import pairwise

import pytest

from graph.ingest.chunk import ChunkIndex, chunk_document, chunks_containing
from graph.model import ChunkDraft, Sentence, SourceDocument


def _doc(text: str, doc_id: str = "d:test") -> SourceDocument:
    return SourceDocument(id=doc_id, uri=f"file:///{doc_id}", title="Test", text=text)


def _sentences(text: str) -> list[Sentence]:
    """A naive splitter: runs of non-space text ending in '.', '!' or '?'."""
    return [Sentence(m.start(), m.end()) for m in re.finditer(r"\S[^.!?]*[.!?]?", text)]


def _sentence(n: int, words: int) -> str:
    return " ".join([f"Word{n}x{k}" for k in range(words)]) + "."


def test_empty_and_blank_documents_give_no_chunks() -> None:
    assert chunk_document(_doc(""), []) == []
    assert chunk_document(_doc("  \n\t "), [Sentence(0, 3)]) == []


def test_short_document_is_one_trimmed_chunk() -> None:
    text = "\n  Acme Bank owns Watchfloor. It runs KX5.  \n"
    (chunk,) = chunk_document(_doc(text), _sentences(text))
    assert chunk.text == "Acme Bank owns Watchfloor. It runs KX5."
    assert chunk.text == text[chunk.start : chunk.end]
    assert (chunk.seq, chunk.doc_id) == (0, "d:test")


def test_chunks_hold_whole_sentences_and_overlap_by_one() -> None:
    sents = [_sentence(n, 10) for n in range(12)]  # about 90 chars each
    text = " ".join(sents)
    sentences = _sentences(text)
    chunks = chunk_document(_doc(text), sentences, target_chars=300, overlap_sentences=1)
    assert len(chunks) > 2
    starts = {s.start for s in sentences}
    ends = {s.end for s in sentences}
    for a, b in pairwise(chunks):
        assert a.start in starts and a.end in ends
        assert len(a.text) <= 300
        last_of_a = next(s for s in sentences if s.end == a.end)
        assert b.start == last_of_a.start  # one shared sentence
    assert chunks[-1].end == sentences[-1].end
    assert [c.seq for c in chunks] == list(range(len(chunks)))


def test_no_overlap_covers_each_sentence_once() -> None:
    text = " ".join(_sentence(n, 10) for n in range(12))
    sentences = _sentences(text)
    chunks = chunk_document(_doc(text), sentences, target_chars=300, overlap_sentences=0)
    for s in sentences:
        assert len(chunks_containing(chunks, s.start, s.end)) == 1


def test_long_sentence_is_its_own_chunk() -> None:
    long = _sentence(99, 60)  # about 540 chars: longer than target, not 4x
    text = f"{_sentence(1, 3)} {long} {_sentence(2, 3)}"
    chunks = chunk_document(_doc(text), _sentences(text), target_chars=200, overlap_sentences=1)
    assert [c.text for c in chunks] == [_sentence(1, 3), long, _sentence(2, 3)]


def test_very_long_sentence_is_split_at_whitespace() -> None:
    long = _sentence(7, 200)  # about 1,800 chars > 4 x 200
    chunks = chunk_document(_doc(long), [Sentence(0, len(long))], target_chars=200)
    assert len(chunks) >= 8
    words = set(long.split())
    for c in chunks:
        assert c.text == long[c.start : c.end]
        assert len(c.text) <= 200
        assert all(w in words for w in c.text.split())  # no word was cut
    assert chunks[0].start == 0 and chunks[-1].end == len(long)


def test_unbroken_text_is_cut_hard() -> None:
    blob = "x" * 2000
    chunks = chunk_document(_doc(blob), [Sentence(0, 2000)], target_chars=100)
    assert "".join(c.text for c in chunks) == blob


def test_ids_are_stable_and_follow_the_formula() -> None:
    text = " ".join(_sentence(n, 10) for n in range(6))
    first = chunk_document(_doc(text), _sentences(text), target_chars=250)
    again = chunk_document(_doc(text), _sentences(text), target_chars=250)
    assert first == again
    c = first[1]
    key = f"d:test\x1f{c.start}\x1f{c.end}\x1f{c.text}".encode()
    assert c.id == "c:" + hashlib.sha256(key).hexdigest()[:24]
    other = chunk_document(_doc(text, "d:other"), _sentences(text), target_chars=250)
    assert {x.id for x in other}.isdisjoint(x.id for x in first)


def test_uncovered_text_is_kept() -> None:
    text = "Covered sentence. Stray tail without a sentence"
    chunks = chunk_document(_doc(text), [Sentence(0, 17)], target_chars=800)
    assert chunks[0].text == text


@pytest.mark.parametrize("seed", range(25))
def test_every_chunk_is_its_document_slice(seed: int) -> None:
    rng = random.Random(seed)
    parts = []
    for n in range(rng.randint(0, 40)):
        sep = rng.choice([" ", "  ", "\n", "\n\n", " \t "])
        parts.append(_sentence(n, rng.choice([1, 3, 8, 20, 120])) + sep)
    text = rng.choice(["", " ", "\n"]) + "".join(parts)
    target = rng.choice([50, 200, 800])
    overlap = rng.choice([0, 1, 2])
    sentences = _sentences(text)
    chunks = chunk_document(_doc(text), sentences, target_chars=target, overlap_sentences=overlap)
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert c.text == c.text.strip() and c.text
    covered: set[int] = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    index = ChunkIndex(chunks)
    for s in sentences:
        assert index.containing(s.start, s.end) == chunks_containing(chunks, s.start, s.end)


def test_chunks_containing_needs_full_containment() -> None:
    chunks = [
        ChunkDraft("c:a", "d", 0, 0, 10, "x" * 10),
        ChunkDraft("c:b", "d", 1, 5, 20, "x" * 15),
    ]
    assert [c.id for c in chunks_containing(chunks, 6, 9)] == ["c:a", "c:b"]
    assert [c.id for c in chunks_containing(chunks, 8, 12)] == ["c:b"]
    assert chunks_containing(chunks, 0, 25) == []
    assert ChunkIndex(chunks).containing(6, 9) == chunks[:2]
    assert ChunkIndex(chunks).containing(8, 12) == [chunks[1]]
    with pytest.raises(ValueError):
        ChunkIndex(list(reversed(chunks)))
