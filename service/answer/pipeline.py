"""The guarded answer pipeline: compose the guards around one generator.

``answer()`` runs question policy -> redaction -> injection quarantine ->
prompt -> generate -> post-guards -> confidence and returns an :class:`Answer`
with every guard verdict.  It abstains (``reason="insufficient_evidence"``)
rather than return an unsupported sentence, refuses denied questions
(``reason="question_denied"``), and lets ``GenerationError`` from the model
propagate (a provider failure is not an abstention).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from graph.ports import LLM, Embedder
from service.answer.confidence import confidence
from service.answer.extractive import ExtractiveGenerator
from service.answer.llm import Completion
from service.answer.post_guards import Thresholds, Verification, check
from service.answer.pre_guards import (
    quarantine_injections,
    question_policy,
    redact,
    redact_text,
    secret_spans,
)
from service.answer.prompt import build_messages, prompt_version
from service.answer.types import Answer, Candidate, Citation, GuardVerdict, Source

ABSTAIN_TEXT = "The available sources do not contain enough evidence to answer this question."
REFUSED_TEXT = "This question is not allowed by the configured answer policy."


@dataclass(frozen=True, slots=True)
class AnswerPolicy:
    """Everything configurable about guarded generation."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    injection: str = "drop"  # "drop" | "fence"
    redaction: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    deny_patterns: tuple[str, ...] = ()
    mask_quotes: bool = True  # display_citations masks secrets in quotes
    max_tokens: int = 512
    sample_temperature: float = 0.7  # for candidates after the first
    prompt_template: str = "answer_v1"


@runtime_checkable
class SamplingLLM(Protocol):
    """An LLM that can also sample and say which model served (LiteLLMGenerator)."""

    model_id: str

    def generate(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        max_tokens: int,
        temperature: float | None = None,
        seed: int | None = None,
    ) -> Completion: ...


@dataclass(frozen=True, slots=True)
class _Checked:
    text: str
    model: str
    result: Verification
    score: float


@dataclass(frozen=True, slots=True)
class _Stamp:
    """What every Answer of one call records about the generator."""

    generator: str
    model: str
    prompt_version: str

    def abstain(
        self,
        text: str,
        reason: str,
        guards: Sequence[GuardVerdict],
        *,
        model: str | None = None,
        candidates: tuple[Candidate, ...] = (),
    ) -> Answer:
        """An abstention or refusal: no citations, confidence 0."""
        return Answer(
            answer=text,
            abstained=True,
            reason=reason,
            citations=(),
            confidence=0.0,
            guards=tuple(guards),
            generator=self.generator,
            model=model or self.model,
            prompt_version=self.prompt_version,
            candidates=candidates,
        )


def answer(
    question: str,
    sources: Sequence[Source],
    *,
    generator: LLM | ExtractiveGenerator,
    embedder: Embedder | None = None,
    policy: AnswerPolicy | None = None,
    n_candidates: int = 1,
) -> Answer:
    """A checked, cited answer to ``question`` from ``sources`` (or an abstention)."""
    policy = policy or AnswerPolicy()
    extractive = isinstance(generator, ExtractiveGenerator)
    stamp = _Stamp(
        str(getattr(generator, "kind", "llm")),
        generator.model_id,
        ExtractiveGenerator.version if extractive else prompt_version(policy.prompt_template),
    )
    refusal = question_policy(question, policy.deny_patterns)
    if refusal is not None:
        return stamp.abstain(REFUSED_TEXT, "question_denied", [refusal])
    guards = [GuardVerdict("question_policy", "pass", "no deny pattern matched")]
    redacted, verdict = redact(sources, policy.redaction)
    guards.append(verdict)
    shown, verdict = quarantine_injections(redacted, policy.injection)
    guards.append(verdict)
    labels = {s.label for s in shown}
    originals = tuple(s for s in sources if s.label in labels)
    if not shown:
        guards.append(GuardVerdict("evidence", "fail", "insufficient_evidence: no usable source"))
        return stamp.abstain(ABSTAIN_TEXT, "insufficient_evidence", guards)

    if isinstance(generator, ExtractiveGenerator):
        # the extractive generator follows no instructions: give it unfenced (redacted) text
        unfenced = tuple(s for s in redacted if s.label in labels)
        drafts = [(generator.generate(question, unfenced), generator.model_id)]
    else:
        messages = build_messages(question, shown, template=policy.prompt_template)
        drafts = _drafts(generator, messages, policy, max(1, n_candidates))

    view: Callable[[str], str] = partial(_redacted, policy=policy.redaction)
    checked = [_check(text, model, originals, embedder, policy, view) for text, model in drafts]
    ranked = [c for _, c in sorted(enumerate(checked), key=lambda ic: (-ic[1].score, ic[0]))]
    best = ranked[0]
    candidates = tuple(_candidate(c) for c in ranked) if len(ranked) > 1 else ()
    guards.extend(best.result.verdicts)
    if best.result.abstained:
        return stamp.abstain(
            ABSTAIN_TEXT, "insufficient_evidence", guards, model=best.model, candidates=candidates
        )
    text = " ".join(s.text for s in best.result.kept)
    citations = tuple(dict.fromkeys(c for s in best.result.kept for c in s.citations))
    return Answer(
        text,
        False,
        None,
        citations,
        best.score,
        tuple(guards),
        stamp.generator,
        best.model,
        stamp.prompt_version,
        candidates=candidates,
    )


def _check(
    text: str,
    model: str,
    sources: Sequence[Source],
    embedder: Embedder | None,
    policy: AnswerPolicy,
    view: Callable[[str], str],
) -> _Checked:
    result = check(text, sources, embedder, policy.thresholds, view=view)
    return _Checked(
        text, model, result, confidence(result.kept, result.total, sources, policy.thresholds)
    )


def _candidate(c: _Checked) -> Candidate:
    kept, removed = len(c.result.kept), len(c.result.removed)
    return Candidate(c.text, c.score, c.result.abstained, c.model, kept, removed)


def _drafts(
    generator: LLM, messages: list[dict[str, str]], policy: AnswerPolicy, n: int
) -> list[tuple[str, str]]:
    """``n`` replies: the first at the generator's own temperature, the rest sampled."""
    if isinstance(generator, SamplingLLM):
        out: list[tuple[str, str]] = []
        for i in range(n):
            temperature = None if i == 0 else policy.sample_temperature
            seed = None if i == 0 else i
            reply = generator.generate(
                messages, max_tokens=policy.max_tokens, temperature=temperature, seed=seed
            )
            out.append((reply.text, reply.model))
        return out
    # a plain LLM cannot be asked to sample: ask once per candidate anyway
    return [
        (generator.complete(messages, max_tokens=policy.max_tokens), generator.model_id)
        for _ in range(n)
    ]


def _redacted(text: str, policy: Mapping[str, str]) -> str:
    return redact_text(text, policy)[0]


def display_citations(answer: Answer, policy: AnswerPolicy | None = None) -> tuple[Citation, ...]:
    """Citations for the response: quotes with secrets masked when ``mask_quotes``.

    ``Answer.citations`` keep exact quotes (``quote == chunk[start:end]``) for the
    audit record; a response shown to a user should serialize these instead.
    """
    policy = policy or AnswerPolicy()
    if not policy.mask_quotes:
        return answer.citations
    out = []
    for c in answer.citations:
        masked = (
            c
            if not secret_spans(c.quote, policy.redaction)
            else dataclasses.replace(c, quote=_redacted(c.quote, policy.redaction))
        )
        out.append(masked)
    return tuple(out)
