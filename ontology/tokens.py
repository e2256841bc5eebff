"""A small stand-in for spaCy's English tokenizer, for building ruler patterns.

The ontology layer does not import spaCy, yet its EntityRuler token patterns must
split a label the way spaCy will split the text it is matched against
("Sarbanes-Oxley Act" -> "Sarbanes", "-", "Oxley", "Act"). This module follows the
rules of ``spacy.lang.punctuation`` for ASCII labels: prefixes, suffixes and the
infix rules. It skips the abbreviation exceptions ("Inc.", "U.S."), so a trailing
period is never split off. Callers that hold a spaCy pipeline can pass its tokenizer
to :meth:`ontology.Ontology.ruler_patterns` instead; a unit test checks that both
agree on every packaged label.
"""

from __future__ import annotations

import re

_OPEN = "([{<\"'“‘«§$£€#&*_~"
_CLOSE = ")]}>\"'”’»,;:!?%_#*&…"

_PREFIX = re.compile("[" + re.escape(_OPEN) + "]")
# "'s" before single characters so that "Bank's" gives "Bank", "'s".
_SUFFIX = re.compile(r"(?:'s|'S|’s|’S|[" + re.escape(_CLOSE) + r"]|(?<=[0-9])\+)$")
_INFIX = re.compile(
    r"(?<=[0-9])[+\-*^](?=[0-9-])"  # 10-20, 3*4
    r"|(?<=[a-z])\.(?=[A-Z])"  # end.Start
    r"|(?<=[A-Za-z]),(?=[A-Za-z])"  # a,b
    r"|(?<=[A-Za-z0-9])(?:---|--|-|–|—|~)(?=[A-Za-z])"  # Sarbanes-Oxley
    r"|(?<=[A-Za-z0-9])[:<>=/](?=[A-Za-z])"  # ISO/IEC
)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into token strings, approximating spaCy's English tokenizer."""
    tokens: list[str] = []
    for chunk in text.split():
        tokens.extend(_split_chunk(chunk))
    return tokens


def _split_chunk(chunk: str) -> list[str]:
    prefixes: list[str] = []
    suffixes: list[str] = []
    while chunk:
        if len(chunk) > 1 and _PREFIX.match(chunk):
            prefixes.append(chunk[0])
            chunk = chunk[1:]
            continue
        match = _SUFFIX.search(chunk)
        if match and match.start() > 0:
            suffixes.insert(0, match.group())
            chunk = chunk[: match.start()]
            continue
        break
    return [*prefixes, *_split_infixes(chunk), *suffixes]


def _split_infixes(chunk: str) -> list[str]:
    parts: list[str] = []
    start = 0
    for match in _INFIX.finditer(chunk):
        if match.start() > start:
            parts.append(chunk[start : match.start()])
        parts.append(match.group())
        start = match.end()
    if start < len(chunk):
        parts.append(chunk[start:])
    return parts
