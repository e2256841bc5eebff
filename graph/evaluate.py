"""Retrieval evaluation: recall@k of supporting documents, full support, MRR, latency.

Question lines: ``{"id","question","answer","aliases","supporting_docs","hops",
"answerable","requires_acl"}``.  A question counts the fraction of its
supporting documents whose chunks are in the top k (recall@k); it is *fully
supported* when all of them are; MRR uses the rank of the first supporting
document.  Questions whose ``requires_acl`` the principal lacks are scored
apart (``acl_blocked``): for them the restricted documents must never appear.
Unanswerable questions are reported apart too.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.retrieve.pipeline import RetrievePorts, retrieve
from graph.retrieve.types import Mode, RetrieveParams
from ontology.errors import InvalidInputError

QUESTION_KEYS = ("id", "question", "supporting_docs")


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    supporting_docs: tuple[str, ...]
    hops: int
    answerable: bool
    requires_acl: tuple[str, ...]
    answer: str = ""


def load_questions(path: str | Path) -> list[Question]:
    out = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            missing = [k for k in QUESTION_KEYS if k not in obj]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            out.append(Question(
                id=str(obj["id"]), question=str(obj["question"]),
                supporting_docs=tuple(obj["supporting_docs"]), hops=int(obj.get("hops", 1)),
                answerable=bool(obj.get("answerable", True)),
                requires_acl=tuple(obj.get("requires_acl") or ()),
                answer=str(obj.get("answer", ""))))
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(f"{path} line {lineno}: {exc}") from None
    return out


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def evaluate(
    questions: Sequence[Question],
    ports: RetrievePorts,
    *,
    mode: Mode,
    k: int,
    groups: Sequence[str],
    hops: int = 2,
) -> dict[str, Any]:
    """Run every question once in one mode; the report and per-question rows."""
    rows: list[dict[str, Any]] = []
    granted = set(groups)
    for q in questions:
        t0 = time.perf_counter()
        result = retrieve(q.question, ports, RetrieveParams(k=k, mode=mode, hops=hops,
                                                            groups=tuple(groups)))
        latency = (time.perf_counter() - t0) * 1000
        docs = list(dict.fromkeys(c.doc_id for c in result.chunks))
        support = set(q.supporting_docs)
        found = [d for d in docs if d in support]
        first = next((i for i, d in enumerate(docs, 1) if d in support), None)
        blocked = bool(set(q.requires_acl) - granted)
        rows.append({
            "id": q.id, "mode": mode.value, "hops": q.hops, "answerable": q.answerable,
            "acl_blocked": blocked, "retrieved_docs": docs,
            "recall": round(len(found) / len(support), 4) if support else None,
            "full_support": bool(support) and support <= set(docs),
            "rr": round(1 / first, 4) if first else 0.0,
            "latency_ms": round(latency, 2),
        })
    return {"mode": mode.value, "k": k, "groups": list(groups), **summarise(rows),
            "questions": rows}


def summarise(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    scored = [r for r in rows
              if r["answerable"] and not r["acl_blocked"] and r["recall"] is not None]

    def block(sel: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        if not sel:
            return {"n": 0}
        return {"n": len(sel),
                "recall@k": round(statistics.fmean(r["recall"] for r in sel), 4),
                "full_support@k": round(statistics.fmean(r["full_support"] for r in sel), 4),
                "mrr": round(statistics.fmean(r["rr"] for r in sel), 4)}

    latencies = [r["latency_ms"] for r in rows]
    return {
        "overall": block(scored),
        "by_hops": {str(h): block([r for r in scored if r["hops"] == h])
                    for h in sorted({r["hops"] for r in scored})},
        "unanswerable": {"n": sum(1 for r in rows if not r["answerable"])},
        "acl_blocked": {"n": sum(1 for r in rows if r["acl_blocked"])},
        "latency_ms": {"p50": round(percentile(latencies, 50), 2),
                       "p95": round(percentile(latencies, 95), 2)},
    }


def leaked(rows: Iterable[Mapping[str, Any]], restricted_docs: set[str]) -> list[str]:
    """Questions whose results show a document the principal may not read (must be [])."""
    return [r["id"] for r in rows if set(r["retrieved_docs"]) & restricted_docs]


def markdown_table(reports: Sequence[Mapping[str, Any]], title: str) -> str:
    """Modes side by side: recall@k, full support, MRR by hop count, and latency."""
    hops = sorted({h for rep in reports for h in rep["by_hops"]}, key=int)
    head = "| mode | questions | recall@k | full support@k | MRR | " + " | ".join(
        f"{h}-hop recall | {h}-hop full" for h in hops) + " | p50 ms | p95 ms |"
    sep = "|" + "---|" * (7 + 2 * len(hops))
    lines = [f"### {title}", "", head, sep]
    for rep in reports:
        o = rep["overall"]
        cells = [rep["mode"], str(o.get("n", 0)), f"{o.get('recall@k', 0):.3f}",
                 f"{o.get('full_support@k', 0):.3f}", f"{o.get('mrr', 0):.3f}"]
        for h in hops:
            b = rep["by_hops"].get(h, {})
            cells += [f"{b.get('recall@k', 0):.3f}", f"{b.get('full_support@k', 0):.3f}"]
        cells += [f"{rep['latency_ms']['p50']:.1f}", f"{rep['latency_ms']['p95']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
