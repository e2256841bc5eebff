"""The multi-hop benchmark generator (bench/multihop): formats, determinism, fair chains.

The chain checks are written here independently of ``bench.multihop.questions.problems``
so that a bug in the generator's own validation cannot hide itself.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("pycountry")

from bench.multihop.generate import generate, main

Rows = list[dict[str, object]]
CORPUS_KEYS = {"id", "title", "text", "uri", "acl"}
QUESTION_KEYS = {
    "id",
    "question",
    "answer",
    "aliases",
    "supporting_docs",
    "hops",
    "answerable",
    "requires_acl",
}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _has(text: str, name: str) -> bool:
    """Whole-word, accent- and case-insensitive occurrence."""
    return re.search(r"(?<!\w)" + re.escape(_fold(name)) + r"(?!\w)", _fold(text)) is not None


@pytest.fixture(scope="module")
def bench() -> tuple[Rows, Rows]:
    return generate(seed=7, countries=60)


@pytest.fixture(scope="module")
def docs(bench: tuple[Rows, Rows]) -> dict[str, str]:
    """Doc id -> title and text, the way a retriever sees it."""
    return {str(d["id"]): f"{d['title']}\n{d['text']}" for d in bench[0]}


def _answerable(bench: tuple[Rows, Rows], min_hops: int = 1) -> Rows:
    return [q for q in bench[1] if q["answerable"] and int(str(q["hops"])) >= min_hops]


def _list(value: object) -> list[str]:
    assert isinstance(value, list)
    return [str(v) for v in value]


def test_same_seed_same_output_and_other_seed_differs() -> None:
    first, second, other = generate(3, 15), generate(3, 15), generate(4, 15)
    assert json.dumps(first) == json.dumps(second)
    assert json.dumps(first) != json.dumps(other)


def test_corpus_rows_have_the_documented_fields(bench: tuple[Rows, Rows]) -> None:
    corpus, _ = bench
    assert 400 <= len(corpus) <= 900
    for doc in corpus:
        assert set(doc) == CORPUS_KEYS
        assert all(isinstance(doc[k], str) and doc[k] for k in ("id", "title", "text", "uri"))
        assert _list(doc["acl"]) in (["public"], ["finance"])
        sentences = re.findall(r"[.?!](?:\s|$)", str(doc["text"]))
        assert 2 <= len(sentences) <= 5, doc
    finance = sum(1 for d in corpus if d["acl"] == ["finance"])
    assert 0.03 <= finance / len(corpus) <= 0.07


def test_question_rows_have_the_documented_fields(bench: tuple[Rows, Rows]) -> None:
    for q in bench[1]:
        assert set(q) >= QUESTION_KEYS
        assert isinstance(q["question"], str) and q["question"].endswith("?")
        assert isinstance(q["answer"], str)
        assert q["hops"] in (1, 2, 3)
        assert isinstance(q["answerable"], bool)
        _list(q["aliases"]), _list(q["requires_acl"]), _list(q["supporting_docs"])


def test_counts_per_hop(bench: tuple[Rows, Rows]) -> None:
    questions = bench[1]
    hops = Counter(q["hops"] for q in questions if q["answerable"])
    assert len(questions) >= 200
    assert hops[1] >= 50 and hops[2] >= 90 and hops[3] >= 35
    assert sum(1 for q in questions if not q["answerable"]) >= 15


def test_ids_are_unique(bench: tuple[Rows, Rows]) -> None:
    corpus, questions = bench
    assert len({d["id"] for d in corpus}) == len(corpus)
    assert len({d["uri"] for d in corpus}) == len(corpus)
    assert len({q["id"] for q in questions}) == len(questions)
    assert len({q["question"] for q in questions}) == len(questions)


def test_supporting_docs_exist_and_match_hops(
    bench: tuple[Rows, Rows], docs: dict[str, str]
) -> None:
    for q in bench[1]:
        support = _list(q["supporting_docs"])
        assert all(d in docs for d in support)
        if q["answerable"]:
            assert len(support) == q["hops"], q
            assert q["answer"]
        else:
            assert support == [] and q["answer"] == "" and q["requires_acl"] == []


def test_answer_or_alias_is_in_the_last_supporting_doc(
    bench: tuple[Rows, Rows], docs: dict[str, str]
) -> None:
    for q in _answerable(bench):
        last = docs[_list(q["supporting_docs"])[-1]]
        assert any(_has(last, a) for a in [str(q["answer"]), *_list(q["aliases"])]), q


def test_multi_hop_questions_hide_their_bridges(
    bench: tuple[Rows, Rows], docs: dict[str, str]
) -> None:
    for q in _answerable(bench, min_hops=2):
        support, bridges = _list(q["supporting_docs"]), _list(q["bridges"])
        assert len(bridges) == len(support) - 1
        for i, bridge in enumerate(bridges):
            assert not _has(str(q["question"]), bridge), q
            # the bridge is what links hop i to hop i + 1
            assert _has(docs[support[i]], bridge) and _has(docs[support[i + 1]], bridge), q


def test_answer_doc_does_not_name_the_subject(
    bench: tuple[Rows, Rows], docs: dict[str, str]
) -> None:
    for q in _answerable(bench, min_hops=2):
        support, subject = _list(q["supporting_docs"]), str(q["subject"])
        assert _has(str(q["question"]), subject)
        assert _has(docs[support[0]], subject)
        assert not any(_has(docs[d], subject) for d in support[1:]), q


def test_answer_cannot_be_read_before_the_last_hop(
    bench: tuple[Rows, Rows], docs: dict[str, str]
) -> None:
    for q in _answerable(bench, min_hops=2):
        earlier = [docs[d] for d in _list(q["supporting_docs"])[:-1]]
        answers = [str(q["answer"]), *_list(q["aliases"])]
        assert not any(_has(text, a) for text in earlier for a in answers), q


def test_requires_acl_follows_the_supporting_docs(bench: tuple[Rows, Rows]) -> None:
    acl = {str(d["id"]): _list(d["acl"]) for d in bench[0]}
    needing = 0
    for q in bench[1]:
        groups = {g for d in _list(q["supporting_docs"]) for g in acl[d]} - {"public"}
        assert _list(q["requires_acl"]) == sorted(groups)
        needing += bool(groups)
    assert needing > 0


def test_unanswerable_subjects_are_absent_from_the_corpus(
    bench: tuple[Rows, Rows], docs: dict[str, str]
) -> None:
    for q in bench[1]:
        if not q["answerable"]:
            assert not any(_has(text, str(q["subject"])) for text in docs.values()), q


def test_entity_names_are_capitalised(bench: tuple[Rows, Rows]) -> None:
    for q in _answerable(bench):
        for name in [str(q["subject"]), *_list(q["bridges"])]:
            assert name[:1].isupper() or name.isdigit(), name
            assert not set(name) & set(",()/[]"), name


def test_cli_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--seed", "7", "--countries", "12"]) == 0
    corpus = (tmp_path / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    questions = (tmp_path / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    expected = generate(7, 12)
    assert [json.loads(line) for line in corpus] == expected[0]
    assert [json.loads(line) for line in questions] == expected[1]
    assert '"answerable_by_hops"' in capsys.readouterr().out
