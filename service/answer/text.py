"""Deterministic text helpers shared by the guards and the extractive generator.

Sentence splitting with offsets, content words with a small suffix stemmer,
numbers and capitalised named terms.  Regex-only on purpose: the same rules
apply to the model's answer and to the source text, so what one side splits
the other side splits the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_STOP_TEXT = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    either few for from further had has have having he her here hers him his how i if in
    into is it its itself just may me might more most must my no nor not now of off on
    once only or other our ours out over own per same shall she should so some such than
    that the their theirs them then there these they this those through to too under until
    up upon very via was we were what when where which while who whom whose why will with
    within without would yes you your yours etc
    tell describe explain please give show know list many much"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

CITATION_RE = re.compile(r"\[(S\d+)\]")
_CITATIONS_ONLY = re.compile(r"^(?:\s*\[S\d+\])+[\s.,;:!?]*$")
_LEADING_CITATIONS = re.compile(r"^((?:\s*\[S\d+\])+)")
_WORD = re.compile(r"[A-Za-z0-9]+")
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*\s+|\n[ \t]*\n\s*")
_LINE = re.compile(r"\n")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_ABBREVIATION_TEXT = (
    "e.g i.e etc vs mr mrs ms dr prof inc ltd co corp no nr art sec fig approx cf st jr sr"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(\s?%|\s?(?:percent|per cent)\b)?",
    re.IGNORECASE,
)
_TERM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def split_sentences(text: str, *, lines: bool = False) -> list[tuple[int, int]]:
    """``(start, end)`` spans of the sentences of ``text``, whitespace-trimmed.

    A sentence ends at ``.``/``!``/``?`` followed by whitespace and a capital,
    digit, bracket or quote (not after a known abbreviation), or at a blank
    line; with ``lines=True`` every newline ends one too (answers with bullets).
    """
    cuts: list[int] = []
    for m in _BOUNDARY.finditer(text):
        gap = m.group()
        if gap.startswith("\n") or _BLANK_LINE.search(gap):
            cuts.append(m.end())
            continue
        nxt = text[m.end() : m.end() + 1]
        if not nxt or not (nxt.isupper() or nxt.isdigit() or nxt in "[(\"'"):
            continue
        word = re.search(r"([A-Za-z.]+)[.!?]*[\"')\]]*\s*$", text[: m.end()])
        if word and _is_abbreviation(word.group(1).rstrip(".")):
            continue
        cuts.append(m.end())
    if lines:
        cuts.extend(m.end() for m in _LINE.finditer(text))
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*sorted(set(cuts)), len(text)]:
        if cut <= start:
            continue
        span = _trim(text, start, cut)
        if span:
            spans.append(span)
        start = cut
    return spans


def _is_abbreviation(word: str) -> bool:
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_answer(text: str) -> list[str]:
    """Sentences of a generated answer, each keeping its trailing citations.

    Models often write ``Claim. [S1]``; a segment that starts with citation
    markers gives them back to the sentence before it.  Bullet markers go.
    """
    out: list[str] = []
    for start, end in split_sentences(text, lines=True):
        piece = _BULLET.sub("", text[start:end]).strip()
        lead = _LEADING_CITATIONS.match(piece)
        if lead and out:
            out[-1] = f"{out[-1]} {lead.group(1).strip()}"
            piece = piece[lead.end() :].strip()
        if not piece or _CITATIONS_ONLY.match(piece):
            if piece and out:
                out[-1] = f"{out[-1]} {piece.strip()}"
            continue
        out.append(piece)
    return out


def cited_labels(sentence: str) -> list[str]:
    """Source labels cited in a sentence, in order, without repeats."""
    return list(dict.fromkeys(CITATION_RE.findall(sentence)))


def strip_citations(sentence: str) -> str:
    """The sentence without ``[Sn]`` markers."""
    return re.sub(r"\s+", " ", CITATION_RE.sub("", sentence)).strip()


def stem(word: str) -> str:
    """A tiny suffix stemmer: enough to match plural/tense variants."""
    if len(word) <= 2 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("sses", "ss")):
        if word.endswith(suffix):
            return word[: -len(suffix)] + repl
    word = _strip_suffix(word)
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _strip_suffix(word: str) -> str:
    for suffix, min_len in (("ing", 6), ("ed", 5), ("ly", 5)):
        if word.endswith(suffix) and len(word) >= min_len:
            return word[: -len(suffix)]
    if word.endswith(("ches", "shes", "ses", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_words(text: str) -> set[str]:
    """Lower-cased, stemmed words that are not stop words (numbers included)."""
    words = (w.lower() for w in _WORD.findall(text))
    return {stem(w) for w in words if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())}


def numbers(text: str) -> set[str]:
    """Normalised numbers: ``2,350`` -> ``2350``, ``12 percent`` -> ``12%``."""
    found: set[str] = set()
    for m in _NUMBER.finditer(text):
        value = m.group(1).replace(",", "") + (m.group(2) or "")
        found.add(value + ("%" if m.group(3) else ""))
    return found


def numbers_supported(sentence: str, evidence: str) -> list[str]:
    """Numbers of ``sentence`` missing from ``evidence`` (empty when all occur).

    A plain number matches the same number with or without ``%`` in the
    evidence; a percentage needs a percentage.
    """
    have = numbers(evidence)
    bare = {n.rstrip("%") for n in have}
    return sorted(n for n in numbers(sentence) if n not in (have if n.endswith("%") else bare))


def named_terms(sentence: str) -> list[str]:
    """Capitalised names, acronyms and identifiers (``Acme``, ``DORA``, ``INC-2350``).

    The sentence's first word counts only when it is more than title case
    (``PolicyForge``, ``KX5``): a plain capital there is just grammar.
    """
    terms: list[str] = []
    for i, m in enumerate(_TERM.finditer(sentence)):
        word = m.group()
        if len(word) < 2 or not any(c.isupper() for c in word):
            continue
        if word.replace("_", "").upper() == "INSUFFICIENTEVIDENCE":
            continue
        title_only = word[0].isupper() and word[1:].islower()
        if i == 0 and title_only:
            continue
        terms.append(word)
    return list(dict.fromkeys(terms))


def terms_missing(terms: Iterable[str], evidence: str) -> list[str]:
    """Terms that do not occur (case-insensitively, as whole words) in ``evidence``."""
    missing = []
    for term in terms:
        pattern = r"(?<![A-Za-z0-9])" + re.escape(term) + r"(?![A-Za-z0-9])"
        if not re.search(pattern, evidence, re.IGNORECASE):
            missing.append(term)
    return missing
