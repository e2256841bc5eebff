"""How often a tiny local model hallucinates, and how much the post-guards catch.

    python -m bench.hallucination [--limit N] [--no-ingest] [--out bench/reports/hallucination.json]

Needs ``scripts/install-local-llm`` (SmolLM2-135M-Instruct through llama-cpp-python,
reached through litellm as ``local/smollm2``).  The multi-hop ISO benchmark
(``bench.multihop``, seed 7, 60 countries) is ingested into the ``bench`` instance of
``scripts/neo4j-local`` (or ``NEO4J_URI``; ``KGRAG_NEO4J_INSTANCE`` picks another),
emptied first, and every question (or a stratified sample of ``--limit``: all
unanswerable ones first) goes through ``service.qa.ask`` with principal
public+finance.  Figures:

* raw hallucination rate: sentences the post-guards removed / sentences the model
  generated (a reply of ``INSUFFICIENT_EVIDENCE`` generates none), read from the guard
  verdicts ``citations`` and ``support`` of each Answer; split by guard;
* abstention accuracy: unanswerable -> abstained, answerable -> answered (and the
  model's own ``INSUFFICIENT_EVIDENCE`` rate before the guards);
* correctness: kept sentences (and answers) of answerable questions that contain the
  gold answer or an alias; kept sentences on unanswerable questions are counted apart
  (they passed the guards, so they are quoted facts, but they answer nothing).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_VERDICT = re.compile(r"^(?:removed (\d+)/(\d+)|(\d+) sentence\(s\) checked)")
_SENTENCE_END = re.compile(r"(?<=[\].!?])\s+(?=[A-Z0-9\"'(])")


def sentence_counts(guards: Sequence[Any]) -> dict[str, int]:
    """Generated and removed sentences of one answer, from its guard verdicts."""
    by_name = {g.name: g for g in guards}
    out = {"generated": 0, "removed_citations": 0, "removed_support": 0}
    for name in ("citations", "support"):
        g = by_name.get(name)
        if g is None:  # no post-guard ran: the model abstained (or no usable source)
            continue
        m = _VERDICT.match(g.detail)
        if m is None:
            raise ValueError(f"unexpected {name} verdict detail: {g.detail!r}")
        removed, total = (int(m[1]), int(m[2])) if m[1] else (0, int(m[3]))
        out["generated"] = total
        out[f"removed_{name}"] = removed
    return out


def model_said_insufficient(guards: Sequence[Any]) -> bool:
    return any(g.name == "evidence" and "model reported" in g.detail for g in guards)


def contains_gold(text: str, q: dict[str, Any]) -> bool:
    golds = [str(q["answer"]), *(str(a) for a in q.get("aliases") or [])]
    low = text.lower()
    return any(g and g.lower() in low for g in golds)


def sample(questions: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """All questions, or ``limit`` of them: every unanswerable one (up to a third), then
    answerable ones round-robin over the hop counts."""
    if limit <= 0 or limit >= len(questions):
        return questions
    unanswerable = [q for q in questions if not q["answerable"]][: max(1, limit // 3)]
    by_hops: dict[int, list[dict[str, Any]]] = {}
    for q in questions:
        if q["answerable"]:
            by_hops.setdefault(int(q["hops"]), []).append(q)
    picked: list[dict[str, Any]] = []
    while len(picked) < limit - len(unanswerable) and any(by_hops.values()):
        for hops in sorted(by_hops):
            if by_hops[hops] and len(picked) < limit - len(unanswerable):
                picked.append(by_hops[hops].pop(0))
    return [*picked, *unanswerable]


class RecordingGenerator:
    """Wraps the litellm generator to keep the raw reply of the last call (before guards)."""

    kind = "litellm"

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.last = ""

    def generate(self, messages: Any, *, max_tokens: int, temperature: float | None = None,
                 seed: int | None = None) -> Any:
        self.last = ""
        reply = self.inner.generate(messages, max_tokens=max_tokens, temperature=temperature,
                                    seed=seed)
        self.last = reply.text
        return reply

    def complete(self, messages: Any, *, max_tokens: int) -> str:
        return str(self.generate(messages, max_tokens=max_tokens).text)


def _pct(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's figures from the per-question rows."""
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    generated = sum(r["generated"] for r in rows)
    removed_c = sum(r["removed_citations"] for r in rows)
    removed_s = sum(r["removed_support"] for r in rows)
    kept_ans = sum(r["kept"] for r in ans)
    answered = [r for r in ans if not r["abstained"]]
    return {
        "questions": len(rows), "answerable": len(ans), "unanswerable": len(una),
        "generated_sentences": generated,
        "removed_sentences": removed_c + removed_s,
        "removed_by_citations_guard": removed_c, "removed_by_support_guard": removed_s,
        "raw_hallucination_rate": _pct(removed_c + removed_s, generated),
        "model_insufficient_evidence": {
            "answerable": sum(r["model_insufficient"] for r in ans),
            "unanswerable": sum(r["model_insufficient"] for r in una)},
        "abstention": {
            "unanswerable_abstained": sum(r["abstained"] for r in una),
            "answerable_answered": len(answered),
            "accuracy": _pct(sum(r["abstained"] for r in una) + len(answered), len(rows)),
            "unanswerable_recall": _pct(sum(r["abstained"] for r in una), len(una)),
            "answerable_answer_rate": _pct(len(answered), len(ans))},
        "correctness": {
            "kept_sentences_answerable": kept_ans,
            "kept_sentences_with_gold": sum(r["kept_with_gold"] for r in ans),
            "kept_sentence_precision": _pct(sum(r["kept_with_gold"] for r in ans), kept_ans),
            "answers_with_gold": sum(r["answer_has_gold"] for r in answered),
            "answer_precision": _pct(sum(r["answer_has_gold"] for r in answered), len(answered)),
            "gold_in_context": sum(r["gold_in_context"] for r in ans),
            "kept_sentences_on_unanswerable": sum(r["kept"] for r in una)},
        "raw_replies": {  # before the guards
            "answerable_with_gold": sum(r["raw_has_gold"] for r in ans),
            "gold_sentences_removed": sum(r["raw_gold_sentences"] - r["kept_with_gold"]
                                          for r in ans),
            "unanswerable_answered": sum(not r["model_insufficient"] for r in una)},
        "seconds_per_question": round(sum(r["seconds"] for r in rows) / max(1, len(rows)), 2),
    }


def _start_neo4j() -> None:
    os.environ.setdefault("KGRAG_NEO4J_INSTANCE", "bench")
    if not os.environ.get("NEO4J_URI"):
        subprocess.run([sys.executable, str(ROOT / "scripts" / "neo4j-local"), "start",
                        "--instance", os.environ["KGRAG_NEO4J_INSTANCE"]], check=True,
                       stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="questions (0 = all 220)")
    parser.add_argument("--countries", type=int, default=60)
    parser.add_argument("--k", type=int, default=4, help="chunks in the context")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--no-ingest", action="store_true", help="reuse the ingested corpus")
    parser.add_argument("--out", default=str(ROOT / "bench" / "reports" / "hallucination.json"))
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from service.answer.local import DEFAULT_MODEL, local_llm_available

    missing = local_llm_available()
    if missing:
        sys.exit(missing)
    _start_neo4j()

    from bench.multihop.generate import generate
    from graph.ingest.load import document_from_mapping
    from graph.ingest.pipeline import ingest
    from graph.retrieve.types import RetrieveParams
    from graph.schema import init_schema, reset_database
    from service.answer import AnswerPolicy
    from service.answer.local import register_local_provider
    from service.answer.text import split_answer
    from service.qa import ask
    from service.settings import Settings
    from service.wiring import Lazy, Services, ingest_options, ingest_ports

    register_local_provider()
    settings = dataclasses.replace(Settings.from_env(), llm_model=DEFAULT_MODEL)
    svc = Services.from_settings(settings)
    recorder = RecordingGenerator(svc.generator.get())
    svc.generator = Lazy(lambda: recorder)
    corpus, questions = generate(seed=7, countries=args.countries)
    t0 = time.perf_counter()
    if not args.no_ingest:
        reset_database(svc.store)
        init_schema(svc.store, space=svc.default_space(), ontology=svc.ontology)
        docs = [document_from_mapping(r, source=str(r["id"]), default_acl=("public",))
                for r in corpus]
        ingest(docs, ingest_ports(svc), ingest_options(svc))
    ingest_s = time.perf_counter() - t0

    params = RetrieveParams(k=args.k, groups=("public", "finance"), token_budget=1200)
    policy = AnswerPolicy(max_tokens=args.max_tokens)
    rows: list[dict[str, Any]] = []
    chosen = sample(questions, args.limit)
    for n, q in enumerate(chosen, start=1):
        t = time.perf_counter()
        result = ask(str(q["question"]), svc, params, policy)
        a = result.answer
        counts = sentence_counts(a.guards)
        kept = [] if a.abstained else [s for s in _SENTENCE_END.split(a.answer) if s.strip()]
        raw = recorder.last
        rows.append({
            "id": q["id"], "question": q["question"], "answerable": q["answerable"],
            "hops": q["hops"], "gold": q["answer"], "answer": a.answer,
            "abstained": a.abstained, **counts, "kept": len(kept),
            "model_insufficient": model_said_insufficient(a.guards),
            "kept_with_gold": sum(contains_gold(s, q) for s in kept) if q["answerable"] else 0,
            "answer_has_gold": bool(q["answerable"] and not a.abstained and contains_gold(
                a.answer, q)),
            "gold_in_context": bool(q["answerable"] and any(
                contains_gold(c.text, q) for c in result.retrieval.chunks)),
            "raw": raw,
            "raw_has_gold": bool(q["answerable"] and contains_gold(raw, q)),
            "raw_gold_sentences": sum(contains_gold(x, q) for x in split_answer(raw))
            if q["answerable"] else 0,
            "seconds": round(time.perf_counter() - t, 2),
        })
        if n % 20 == 0:
            print(f"  {n}/{len(chosen)} questions", file=sys.stderr)
    svc.close()

    summary = summarise(rows)
    from importlib.metadata import version

    report = {
        "model": DEFAULT_MODEL, "llama_cpp_python": version("llama-cpp-python"),
        "benchmark": {"seed": 7, "countries": args.countries, "documents": len(corpus),
                      "limit": args.limit, "k": args.k, "max_tokens": args.max_tokens,
                      "groups": ["public", "finance"], "ingest_s": round(ingest_s, 1)},
        "summary": summary, "questions": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    _print(summary)
    return 0


def _print(s: dict[str, Any]) -> None:
    ab, co = s["abstention"], s["correctness"]
    print(f"questions {s['questions']} ({s['answerable']} answerable, "
          f"{s['unanswerable']} unanswerable), {s['seconds_per_question']} s each")
    print(f"raw hallucination rate   {s['raw_hallucination_rate']}  "
          f"({s['removed_sentences']}/{s['generated_sentences']} generated sentences removed: "
          f"{s['removed_by_citations_guard']} uncited, {s['removed_by_support_guard']} "
          f"unsupported)")
    print(f"abstention accuracy      {ab['accuracy']}  (unanswerable abstained "
          f"{ab['unanswerable_abstained']}/{s['unanswerable']}, answerable answered "
          f"{ab['answerable_answered']}/{s['answerable']})")
    print(f"kept sentences correct   {co['kept_sentences_with_gold']}/"
          f"{co['kept_sentences_answerable']} (answers with gold {co['answers_with_gold']}/"
          f"{ab['answerable_answered']}; gold in context {co['gold_in_context']}/"
          f"{s['answerable']}; kept sentences on unanswerable "
          f"{co['kept_sentences_on_unanswerable']})")
    raw = s["raw_replies"]
    print(f"raw replies (no guards)  gold answer in {raw['answerable_with_gold']}/"
          f"{s['answerable']} answerable replies ({raw['gold_sentences_removed']} sentences "
          f"with the gold answer removed); {raw['unanswerable_answered']}/{s['unanswerable']} "
          f"unanswerable questions answered instead of INSUFFICIENT_EVIDENCE")


if __name__ == "__main__":
    raise SystemExit(main())
