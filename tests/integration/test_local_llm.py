"""Guarded generation with a real (tiny) local model: SmolLM2-135M through litellm.

The checks here do not reuse the guard code: every sentence that survives the
post-guards is re-checked with this module's own tokenisation against the
quotes of the citations it carries, and every quote against the chunk text
stored in Neo4j.  Unanswerable questions must end in abstention.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest

from service.answer.local import DEFAULT_MODEL, local_llm_available

pytestmark = [pytest.mark.neo4j, pytest.mark.models]

_MISSING = local_llm_available()
if _MISSING is not None:
    pytest.skip(_MISSING, allow_module_level=True)

from graph.ingest.load import load_paths  # noqa: E402
from graph.ingest.pipeline import Ports, ingest  # noqa: E402
from graph.retrieve.types import RetrieveParams  # noqa: E402
from service.answer import AnswerPolicy  # noqa: E402
from service.answer.local import register_local_provider  # noqa: E402
from service.answer.types import Answer  # noqa: E402
from service.qa import ask  # noqa: E402
from service.wiring import Services  # noqa: E402
from tests.conftest import FIXTURES  # noqa: E402

QUESTIONS = [json.loads(line) for line in
             (FIXTURES / "llm_questions.jsonl").read_text().splitlines() if line.strip()]
PARAMS = RetrieveParams(k=4, groups=("public", "finance"), token_budget=1200)
POLICY = AnswerPolicy(max_tokens=128)

# This module's own notion of a content word, deliberately unlike service.answer.text.
_STOP_TEXT = """a an and are as at be been by for from has have in is it its of on or
    that the their there this to was were which who with not no also about after all any
    can does did do into more most than then these those when where while will would
    yes it's they them he she his her our we you"""
_STOP = frozenset(_STOP_TEXT.split())
_LABEL = re.compile(r"\[(S\d+)\]")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'&-]*|\d[\d,.]*\d|\d")


def _sentences(text: str) -> list[str]:
    """Kept sentences of an answer: each ends with its [Sn] markers (and maybe a stop)."""
    parts = re.split(r"(?<=[\].!?])\s+(?=[A-Z0-9\"'(])",
                     text.strip())
    return [p.strip() for p in parts if p and p.strip()]


def _norm_number(token: str) -> str:
    return token.replace(",", "").rstrip(".")


def _same_word(word: str, quote_words: set[str]) -> bool:
    """Equal, or sharing a stem-like prefix (company/companies, audits/audited)."""
    if word in quote_words:
        return True
    n = max(4, len(word) - 3)
    return len(word) >= 4 and any(len(q) >= 4 and q[:n] == word[:n] for q in quote_words)


def _unsupported(sentence: str, quotes: list[str]) -> list[str]:
    """Key terms of ``sentence`` that its cited quotes do not contain (empty = supported)."""
    claim = _LABEL.sub(" ", sentence)
    evidence = " ".join(quotes)
    quote_words = {t.lower() for t in _TOKEN.findall(evidence) if not t[0].isdigit()}
    quote_numbers = {_norm_number(t) for t in _TOKEN.findall(evidence) if t[0].isdigit()}
    missing: list[str] = []
    content: list[str] = []
    for i, token in enumerate(_TOKEN.findall(claim)):
        if token[0].isdigit():  # every number must be quoted
            if _norm_number(token) not in quote_numbers:
                missing.append(token)
            continue
        low = token.lower().strip("'")
        if low in _STOP or len(low) < 2:
            continue
        if token[0].isupper() and i > 0:  # a capitalised name: verbatim, whole word
            if not re.search(rf"(?<![A-Za-z0-9]){re.escape(token)}(?![A-Za-z0-9])", evidence,
                             re.IGNORECASE):
                missing.append(token)
            continue
        if token[0].isupper():  # the first word may be a name or just grammar: must occur
            if not _same_word(low, quote_words):
                missing.append(token)
            continue
        content.append(low)
    absent = [w for w in content if not _same_word(w, quote_words)]
    # most content words must be quoted (paraphrase is allowed for a few)
    if content and len(absent) > len(content) / 3:
        missing.extend(absent)
    return missing


def _chunk_texts(svc: Services) -> dict[str, tuple[str, str]]:
    records, _, _ = svc.store._driver.execute_query(
        "MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk) RETURN c.id AS id, c.text AS text, "
        "d.id AS doc")
    return {r["id"]: (r["text"], r["doc"]) for r in records}


def _check_supported(answer: Answer, chunks: dict[str, tuple[str, str]]) -> list[str]:
    """Problems with an answer that was not an abstention (empty = every check passed)."""
    problems: list[str] = []
    for c in answer.citations:
        text, doc = chunks[c.chunk_id]
        if text[c.char_start:c.char_end] != c.quote or doc != c.doc_id or not c.quote:
            problems.append(f"citation {c.source} quote is not the stored span {c.chunk_id}")
    by_label: dict[str, list[str]] = {}
    for c in answer.citations:
        by_label.setdefault(c.source, []).append(c.quote)
    sentences = _sentences(answer.answer)
    if not sentences:
        problems.append("answered with no sentence")
    for sentence in sentences:
        labels = _LABEL.findall(sentence)
        if not labels:
            problems.append(f"uncited sentence {sentence!r}")
            continue
        unknown = [lb for lb in labels if lb not in by_label]
        if unknown:
            problems.append(f"{sentence!r} cites {unknown} without a citation record")
            continue
        missing = _unsupported(sentence, [q for lb in labels for q in by_label[lb]])
        if missing:
            problems.append(f"{sentence!r}: {missing} not in its quotes")
    return problems


def test_support_checker_itself() -> None:
    quote = ["Laura Chen is the chief executive of HTC."]
    assert _unsupported("Laura Chen is the chief executive of HTC [S1].", quote) == []
    assert _unsupported("The chief executive of HTC is Laura Chen [S1].", quote) == []
    assert _unsupported("Mark Chen is the chief executive of HTC [S1].", quote) == ["Mark"]
    assert "2019" in _unsupported("Laura Chen has led HTC since 2019 [S1].", quote)
    assert _unsupported("Laura Chen owns a small vineyard near Porto [S1].", quote)
    assert _sentences("A is B [S1]. C is D [S2][S3]. E [S1]") == [
        "A is B [S1].", "C is D [S2][S3].", "E [S1]"]


def test_provider_registration_is_idempotent() -> None:
    register_local_provider()
    assert register_local_provider() is False


@pytest.fixture
def local_services(graph_db: Any, settings: Any) -> Services:
    """The fixture corpus ingested; a Services whose generator is local/smollm2 via litellm."""
    svc = graph_db
    report = ingest(load_paths([FIXTURES / "corpus"]),
                    Ports(svc.store, svc.extractor.get(), svc.embedder.get(), svc.ontology))
    assert report.failed == []
    register_local_provider()  # what service.wiring does for "local/..." model strings
    local = Services(settings=dataclasses.replace(settings, llm_model=DEFAULT_MODEL),
                     store=svc.store, ontology=svc.ontology)
    local.embedder, local.extractor = svc.embedder, svc.extractor  # share the loaded models
    return local


def test_local_model_answers_are_supported_or_abstain(local_services: Services) -> None:
    svc = local_services
    chunks = _chunk_texts(svc)
    problems: list[str] = []
    outcomes: list[dict[str, Any]] = []
    for q in QUESTIONS:
        result = ask(q["question"], svc, PARAMS, POLICY).answer
        assert result.generator == "litellm" and result.model == DEFAULT_MODEL
        outcomes.append({"id": q["id"], "answerable": q["answerable"],
                         "abstained": result.abstained, "answer": result.answer})
        if not result.abstained:
            problems.extend(f"{q['id']}: {p}" for p in _check_supported(result, chunks))
    assert not problems, "\n".join(problems)
    unanswerable = [o for o in outcomes if not o["answerable"]]
    abstained = sum(o["abstained"] for o in unanswerable)
    assert len(QUESTIONS) >= 20 and len(unanswerable) >= 8
    assert abstained >= 0.9 * len(unanswerable), json.dumps(unanswerable, indent=1)
    # not vacuous: some sentence survived the guards, so the support checks above ran.
    # (SmolLM2-135M rarely writes the [Sn] markers the prompt asks for, so most of its
    # answers, right or wrong, are removed as uncited: see bench/hallucination.py.)
    assert any(not o["abstained"] for o in outcomes), json.dumps(outcomes, indent=1)
