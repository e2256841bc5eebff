"""Text helpers: accent-insensitive mention tests and English inflection."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower-case, strip accents and unify apostrophes, for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def mentions(text: str, name: str) -> bool:
    """True when ``name`` occurs in ``text`` as whole words (accents and case ignored)."""
    if not name:
        return False
    return _whole_words(fold(name)).search(fold(text)) is not None


@lru_cache(maxsize=8192)
def _whole_words(folded_name: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(folded_name) + r"(?!\w)")


_ARTICLE_WORDS = frozenset({"Republic", "Federation", "Kingdom", "Islands", "Emirates", "States"})
_ARTICLE_NAMES = frozenset(
    {"Bahamas", "Comoros", "Gambia", "Maldives", "Netherlands", "Philippines"}
)


def country_ref(name: str) -> str:
    """How a country is named inside a sentence: "the United Kingdom", but "Uruguay"."""
    if name in _ARTICLE_NAMES or _ARTICLE_WORDS.intersection(name.split()):
        return "the " + name
    return name


def sentence(template: str, **fill: object) -> str:
    """``template`` filled in, with its first letter capitalised ("The United Kingdom ...")."""
    text = template.format(**fill)
    return text[:1].upper() + text[1:]


def plural(noun: str) -> str:
    """Plural of the last word of an ISO subdivision type ("autonomous city" -> "cities")."""
    head, _, last = noun.rpartition(" ")
    if last.endswith("y") and last[-2:-1] not in set("aeiou"):
        last = last[:-1] + "ies"
    elif last.endswith(("s", "sh", "ch", "x")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def article(noun: str) -> str:
    """``noun`` with "a" or "an" in front."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def join_names(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
