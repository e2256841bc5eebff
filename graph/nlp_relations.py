"""Relation candidates from a spaCy dependency parse.

Patterns, within one sentence (head -> tail, lemma):

``svo``     "Acme Bank owns Watchfloor"            Acme Bank -> Watchfloor, "own";
            passive "X is audited by Y"            Y -> X, "audit"
``copula``  "Jane Doe is the CFO"                  Jane Doe -> CFO, "be"
``prep``    "PolicyForge is located in Dublin"     -> "locate in";
            "NMI is subject to DORA"               -> "subject to" (copula dropped)
``appos``   "Jane Doe, the CFO of Acme Bank,"      Jane Doe -> Acme Bank, "cfo of"
``poss``    "Acme Bank's Watchfloor platform"      Acme Bank -> Watchfloor, "have"
``attribute`` "Yemen's currency is the Yemeni Rial" Yemen -> Yemeni Rial, "currency";
            also "The CEO of Acme is Jane Doe"     Acme -> Jane Doe, "ceo"

A mention stands for its root token (the token of its span whose head lies
outside it) and, when that root is a compound or modifier of a common noun
outside every mention, for that noun too ("the Watchfloor platform").
Coordinated subjects, objects and verbs propagate ("Acme and Beta are
subject to DORA" gives two relations).  Negated clauses give no relation.
Work is linear in the tokens of the document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from graph.model import RelationCandidate, Sentence

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    _Adder = Callable[[Token, Token, str, str], None]

_SUBJ = frozenset({"nsubj", "csubj"})
_OBJ = frozenset({"dobj", "attr", "dative", "oprd"})
_COMPLEMENT = frozenset({"acomp", "attr", "oprd"})
_MODIFIER = frozenset({"compound", "nmod", "amod"})
_RELATIVE = frozenset({"that", "which", "who", "whom"})


def extract_relations(
    doc: Doc, spans: Sequence[tuple[int, int]], sentences: Sequence[Sentence]
) -> list[RelationCandidate]:
    """Relation candidates between mentions given as token spans ``[t0, t1)``.

    ``head`` and ``tail`` index ``spans``; ``sentences`` are the document's
    sentences (char offsets), the one containing a relation's tokens is kept.
    """
    anchor = _anchors(doc, spans)
    if len(set(anchor.values())) < 2:
        return []
    found: dict[tuple[int, int, str, str], Sentence] = {}

    def add(h_tok: Token, t_tok: Token, lemma: str, pattern: str) -> None:
        for h in _conjuncts(h_tok):
            for t in _conjuncts(t_tok):
                hm, tm = anchor.get(h.i), anchor.get(t.i)
                if hm is not None and tm is not None and hm != tm and lemma:
                    key = (hm, tm, lemma, pattern)
                    if key not in found:
                        found[key] = _sentence_of(h.idx, sentences)

    for tok in doc:
        if tok.dep_ == "poss" and tok.i in anchor:
            add(tok, tok.head, "have", "poss")
        elif tok.dep_ == "appos" and tok.head.i in anchor:
            for prep, obj in _prep_objects(tok):
                add(tok.head, obj, f"{tok.lemma_.lower()} {prep.lower_}", "appos")
        if tok.pos_ in ("VERB", "AUX") and not any(c.dep_ == "neg" for c in tok.children):
            _clause(tok, add)
    return [
        RelationCandidate(h, t, lemma, pattern, sentence)
        for (h, t, lemma, pattern), sentence in found.items()
    ]


def _clause(verb: Token, add: _Adder) -> None:
    """svo, passive, copula and prep relations of one verb or copula."""
    copula = verb.lemma_ == "be"
    verb_part = _verb_lemma(verb)
    subjects = _subjects(verb, _SUBJ)
    passive = _subjects(verb, frozenset({"nsubjpass"}))
    for child in verb.children:
        if child.dep_ in _OBJ:
            obj = verb.head if _is_relative(child, verb) else child  # "X, which Y owns"
            for s in subjects:
                add(s, obj, verb_part, "copula" if copula else "svo")
                if copula:  # "Yemen's currency is X": the owner of the attribute -> X
                    for owner in _attribute_owners(s):
                        add(owner, obj, s.lemma_.lower(), "attribute")
        elif child.dep_ == "agent":
            for _, agent in _prep_objects(verb, deps=("agent",)):
                for s in passive:
                    add(agent, s, verb_part, "svo")
    # "Acme set up Watchfloor in 2021": the prep phrase qualifies the object.
    has_object = any(c.dep_ == "dobj" for c in verb.children)
    for prep, obj in () if has_object else _prep_objects(verb):
        lemma = f"{prep.lower_}" if copula else f"{verb_part} {prep.lower_}"
        for s in (*subjects, *passive):
            add(s, obj, lemma, "prep")
    for comp in verb.children:
        if comp.dep_ in _COMPLEMENT:
            base = comp.lemma_.lower() if copula else f"{verb_part} {comp.lemma_.lower()}"
            for prep, obj in _prep_objects(comp):
                for s in (*subjects, *passive):
                    add(s, obj, f"{base} {prep.lower_}", "prep")


def _attribute_owners(noun: Token) -> list[Token]:
    """Possessor or "of" object of a common-noun subject: "Yemen's currency"."""
    if noun.pos_ != "NOUN":
        return []
    owners = [c for c in noun.children if c.dep_ == "poss"]
    owners += [obj for prep, obj in _prep_objects(noun) if prep.lower_ == "of"]
    return owners


def _verb_lemma(verb: Token) -> str:
    """The verb's lemma with its particles: "set up"."""
    parts = [verb.lemma_.lower()]
    parts.extend(c.lower_ for c in verb.children if c.dep_ == "prt")
    return " ".join(parts)


def _subjects(verb: Token, deps: frozenset[str]) -> list[Token]:
    """Subjects of ``verb``; inherited from the governing verb of a conj/xcomp."""
    node = verb
    for _ in range(8):  # bounded climb up coordinated / controlled verbs
        found = [c for c in node.children if c.dep_ in deps]
        if found:
            return [node.head if _is_relative(s, node) else s for s in found]
        if node.dep_ not in ("conj", "xcomp") or node.head is node:
            return []
        node = node.head
    return []


def _is_relative(arg: Token, verb: Token) -> bool:
    """A relative pronoun argument of a relative clause ("Acme, which owns ...")."""
    return verb.dep_ == "relcl" and (arg.lower_ in _RELATIVE or arg.tag_ in ("WDT", "WP"))


def _prep_objects(token: Token, deps: tuple[str, ...] = ("prep",)) -> Iterator[tuple[Token, Token]]:
    """(preposition, object) pairs of preposition children of ``token``."""
    for prep in token.children:
        if prep.dep_ in deps:
            for obj in prep.children:
                if obj.dep_ == "pobj":
                    yield prep, obj


def _conjuncts(tok: Token) -> list[Token]:
    """``tok`` and the tokens coordinated with it ("Acme and Beta")."""
    out = [tok]
    i = 0
    while i < len(out) and len(out) < 32:
        out.extend(c for c in out[i].children if c.dep_ == "conj")
        i += 1
    return out


def _anchors(doc: Doc, spans: Sequence[tuple[int, int]]) -> dict[int, int]:
    """Token index -> mention index, for each mention's root and its noun."""
    anchor: dict[int, int] = {}
    inside = bytearray(len(doc))
    roots: list[tuple[int, Token]] = []
    for m, (t0, t1) in enumerate(spans):
        inside[t0:t1] = b"\x01" * (t1 - t0)
        root = doc[t0:t1].root
        anchor[root.i] = m
        roots.append((m, root))
    for m, root in roots:
        head = root.head
        if (
            root.dep_ in _MODIFIER
            and head.pos_ == "NOUN"
            and not inside[head.i]
            and head.i not in anchor
        ):
            anchor[head.i] = m
    return anchor


def _sentence_of(char: int, sentences: Sequence[Sentence]) -> Sentence:
    """The sentence containing ``char`` (binary search over sorted sentences)."""
    lo, hi = 0, len(sentences) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sentences[mid].start <= char:
            lo = mid
        else:
            hi = mid - 1
    return sentences[lo]
