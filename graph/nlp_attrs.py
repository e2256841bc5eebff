"""A faster matching step for spaCy's ``attribute_ruler``.

en_core_web_sm's attribute ruler maps the tagger's fine-grained tags to POS and
morphology with 179 token patterns.  spaCy's ``Matcher`` tries every pattern at
every token: 1.3-1.9 s of the ~9 s spaCy 3.8.6 spends on 843 FOLDOC chunks
(2.5-3.9 s with 3.8.8+), as much as the parser.  Those patterns use a small
part of the pattern language: fixed sequences of token specs over TAG, LOWER,
ORTH, DEP and IS_SPACE, with equality, IN, NOT_IN and REGEX.
:class:`ArrayMatcher` reads the document's
attributes once (``Doc.to_array``), indexes each column by value, and tests a
pattern only where the rarest value (or IN list) it requires occurs.

It only finds the matches: the same (key, start, end) triples in the same order
as ``AttributeRuler.match``, which spaCy's own ``set_annotations`` then applies,
so every token gets the same attributes.  A ruler with a pattern outside that
subset (operators, other attributes, other predicates) keeps spaCy's matcher.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

_COLUMNS = ("TAG", "LOWER", "ORTH", "DEP", "IS_SPACE")  # the attributes a spec may test
_ALIASES = {"TEXT": "ORTH"}
_REGEX_CACHE = 100_000  # (test, word) results kept
Match = tuple[int, int, int, int]  # (attr_id, match_id, start, end), as AttributeRuler.match


@dataclass(frozen=True, slots=True)
class _Test:
    column: int
    kind: str  # "eq" | "in" | "not_in" | "regex"
    value: Any  # a hash, a frozenset of hashes, or a compiled regex


@dataclass(frozen=True, slots=True)
class _Rule:
    attr_id: int
    match_id: int
    specs: tuple[tuple[_Test, ...], ...]  # one tuple of tests per token


class Unsupported(ValueError):
    """A pattern this matcher does not evaluate."""


class ArrayMatcher:
    """``AttributeRuler.match`` from an index of the document's attributes, for the
    patterns it supports."""

    def __init__(self, ruler: Any) -> None:
        """Raises :class:`Unsupported` if any of ``ruler``'s patterns is outside the subset."""
        from spacy.attrs import IDS

        strings = ruler.vocab.strings
        self._strings = strings
        self._attrs = [IDS[name] for name in _COLUMNS]
        rules: list[_Rule] = []
        for attr_id, entry in enumerate(ruler.patterns):
            match_id = strings.add(str(attr_id))
            for pattern in entry["patterns"]:
                specs = tuple(self._compile(spec) for spec in pattern)
                if not specs:
                    raise Unsupported("an empty pattern")
                rules.append(_Rule(attr_id, match_id, specs))
        self._rules = tuple(rules)
        self._regex_cache: dict[tuple[int, int], bool] = {}

    def _compile(self, spec: Mapping[str, Any]) -> tuple[_Test, ...]:
        tests: list[_Test] = []
        for raw_name, value in spec.items():
            name = _ALIASES.get(raw_name, raw_name)
            if name not in _COLUMNS:
                raise Unsupported(f"attribute {raw_name!r}")
            column = _COLUMNS.index(name)
            if name == "IS_SPACE":
                if not isinstance(value, bool):
                    raise Unsupported(f"IS_SPACE {value!r}")
                tests.append(_Test(column, "eq", int(value)))
            elif isinstance(value, str):
                tests.append(_Test(column, "eq", self._strings.add(value)))
            elif isinstance(value, dict) and len(value) == 1:
                (op, arg), = value.items()
                if op in ("IN", "NOT_IN") and isinstance(arg, list) \
                        and all(isinstance(v, str) for v in arg):
                    hashes = frozenset(int(self._strings.add(v)) for v in arg)
                    tests.append(_Test(column, op.lower(), hashes))
                elif op == "REGEX" and isinstance(arg, str):
                    tests.append(_Test(column, "regex", re.compile(arg)))
                else:
                    raise Unsupported(f"predicate {op!r} on {raw_name}")
            else:
                raise Unsupported(f"{raw_name}: {value!r}")
        return tuple(tests)

    def match(self, doc: Doc) -> list[Match]:
        n = len(doc)
        if n == 0:
            return []
        table = np.asarray(doc.to_array(self._attrs), dtype=np.uint64).reshape(n, len(_COLUMNS))
        columns: list[list[int]] = table.T.tolist()
        where: dict[int, dict[int, list[int]]] = {}  # column -> value -> token positions

        def positions(column: int, value: int) -> list[int]:
            if column not in where:
                index: dict[int, list[int]] = {}
                for i, v in enumerate(columns[column]):
                    index.setdefault(v, []).append(i)
                where[column] = index
            return where[column].get(value, [])

        def required(test: _Test) -> list[int]:
            """Positions where an equality or IN test can hold."""
            if test.kind == "eq":
                return positions(test.column, test.value)
            return sorted(i for v in test.value for i in positions(test.column, v))

        found: set[Match] = set()
        for rule in self._rules:
            width = len(rule.specs)
            if width > n:
                continue
            anchors = [(required(t), offset) for offset, spec in enumerate(rule.specs)
                       for t in spec if t.kind in ("eq", "in")]
            if anchors:  # candidates: where the rarest required value(s) are
                at, offset = min(anchors, key=lambda a: len(a[0]))
                candidates = [i - offset for i in at if 0 <= i - offset <= n - width]
            else:  # no required value: every position
                candidates = list(range(n - width + 1))
            starts = [s for s in candidates if all(
                self._holds(t, columns[t.column][s + o])
                for o, spec in enumerate(rule.specs) for t in spec)]
            found.update((rule.attr_id, rule.match_id, s, s + width) for s in starts)
        return sorted(found)

    def _holds(self, test: _Test, value: int) -> bool:
        if test.kind == "eq":
            return bool(value == test.value)
        if test.kind == "in":
            return value in test.value
        if test.kind == "not_in":
            return value not in test.value
        return self._search(test, value)

    def _search(self, test: _Test, value: int) -> bool:
        """A REGEX test, searched once per distinct string."""
        key = (id(test), value)
        hit = self._regex_cache.get(key)
        if hit is None:
            if len(self._regex_cache) >= _REGEX_CACHE:  # a long-running service sees many words
                self._regex_cache.clear()
            hit = self._regex_cache[key] = bool(test.value.search(self._strings[value]))
        return hit


def speed_up_attribute_ruler(nlp: Language, names: Sequence[str] = ("attribute_ruler",)) -> bool:
    """Give the pipeline's attribute ruler an :class:`ArrayMatcher` where all its
    patterns are supported.  Whether it now has one."""
    for name in names:
        if name not in nlp.pipe_names:
            continue
        ruler: Any = nlp.get_pipe(name)
        try:
            matcher = ArrayMatcher(ruler)
        except Unsupported:
            return False
        ruler.match = matcher.match  # AttributeRuler.__call__ calls self.match(doc)
        return True
    return False
