"""Helpers shared by the integration and browser tests: a generator that cites, and
ad-hoc Cypher reads for assertions.

The offline extractive generator abstains on the fixture corpus's multi-hop
questions (their words are not in the answering chunk), so citations need a
generator that answers; retrieval is deterministic, so the labels it will see
are known in advance.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from graph.retrieve.pipeline import retrieve
from graph.retrieve.types import RetrieveParams
from service.wiring import Lazy, retrieve_ports


@dataclass(frozen=True)
class Scripted:
    """An LLM that replies with a fixed text (verbatim source sentences, cited)."""

    reply: str
    model_id: str = "scripted/quote-1"

    def complete(self, messages: Any, *, max_tokens: int) -> str:
        return self.reply


def quoting(svc: Any, question: str, params: RetrieveParams, docs: tuple[str, ...]) -> Any:
    """A copy of ``svc`` whose generator quotes the first sentence of ``docs``' chunks."""
    first = retrieve(question, retrieve_ports(svc), params)
    reply = " ".join(f"{c.text.split('. ')[0].rstrip('.')} [S{i}]."
                     for i, c in enumerate(first.chunks, start=1) if c.doc_id in docs)
    scripted = copy.copy(svc)
    scripted.generator = Lazy(lambda: Scripted(reply))
    return scripted


def cypher(svc: Any, text: str, **params: Any) -> list[dict[str, Any]]:
    """Ad-hoc read for assertions (tests may inspect the graph directly)."""
    records, _, _ = svc.store._driver.execute_query(text, params)
    return [r.data() for r in records]
