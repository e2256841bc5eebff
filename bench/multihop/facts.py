"""Facts read from the ISO data that pycountry bundles (ISO 3166-1/-2, ISO 4217).

pycountry has no country-to-currency table, so the national currency of a country is
derived from the ISO 4217 coding rule: a national currency's alphabetic code starts
with the country's ISO 3166-1 alpha-2 code, and its numeric code is usually the
country's ISO 3166-1 numeric code. We take the currency that matches both; where no
currency matches the numeric code we accept the prefix match only when it is the
single one (AFN, BRL, TRY, ...). Shared currencies (EUR, XOF, ...) match no country,
so euro-area countries are not candidates.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version

import pycountry

from bench.multihop.text import fold, mentions

# A name spaCy can pick up as a proper noun: capitalised, letters only, no commas,
# brackets, slashes or digits ("Bolivia, Plurinational State of" is out).
_CLEAN_NAME = re.compile(r"^[A-ZÀ-Þ][^\W\d_]*(?:[ '’.-][^\W\d_]+)*$")
# Lower-case words allowed inside a name ("Kingston upon Hull", "Treinta y Tres").
_PARTICLES = re.compile(
    r"^(?:a|ad|al|an|and|ar|as|at|az|da|das|de|del|della|der|di|do|dos|du|e|el|en|es|et|i"
    r"|la|le|les|of|on|sur|the|und|upon|van|von|y)$"
)
# English words that are also subdivision names ("Most", Czechia): as a subject they
# would read as ordinary words, not names.
_ENGLISH_WORDS = (
    "about above after again against all also any before below between both down during "
    "each either even every from here into just many more most much neither none nor not "
    "now off once only onto other over same since some still such than that then there "
    "these this those through under until upon very well what when where which while who "
    "whom whose why with within without"
)
# Types whose wording does not read as an English common noun, and "Country" (England,
# Scotland, Wales), which would make "which country contains X?" ambiguous.
_SKIPPED_TYPES = frozenset(
    {"Pakistan administered area", "Districts under republic administration", "Country"}
)


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency."""

    code: str
    numeric: str
    name: str


@dataclass(frozen=True, slots=True)
class Subdivision:
    """An ISO 3166-2 subdivision whose name is usable as a question subject."""

    code: str
    name: str
    kind: str  # the ISO type in lower case, e.g. "department"
    parent: str | None  # code of the parent subdivision, if any
    child_count: int = 0  # subdivisions ISO 3166-2 lists under this one
    child_kind: str = ""  # their most common type, lower case
    child_mixed: bool = False  # True when the children are of more than one type


@dataclass(frozen=True, slots=True)
class Country:
    """An ISO 3166-1 country with its national currency and usable subdivisions."""

    alpha2: str
    alpha3: str
    name: str
    official: str | None
    pycountry_name: str
    currency: Currency
    subdivision_count: int
    main_kind: str
    subdivisions: tuple[Subdivision, ...]

    def top_level(self) -> tuple[Subdivision, ...]:
        """Subdivisions without a parent."""
        return tuple(s for s in self.subdivisions if s.parent is None)

    def children_of(self, parent_code: str) -> tuple[Subdivision, ...]:
        """Usable subdivisions whose parent is ``parent_code``."""
        return tuple(s for s in self.subdivisions if s.parent == parent_code)


@dataclass(frozen=True, slots=True)
class FactBook:
    """Every candidate country plus what the generator needs to pick distractors."""

    countries: tuple[Country, ...]  # candidates, sorted by alpha-2
    other_country_names: tuple[str, ...]  # clean names of non-candidate countries
    national_currencies: tuple[Currency, ...]  # sorted by code, for neighbour sentences
    pycountry_version: str


def is_clean_name(name: str) -> bool:
    """True for a capitalised name without punctuation that would confuse NER."""
    if not _CLEAN_NAME.match(name) or len(name) < 3:
        return False
    words = re.split(r"[ -]", name)
    return all(w[:1].isupper() or _PARTICLES.match(w) for w in words)


def _country_name(country: object) -> str:
    return str(getattr(country, "common_name", None) or country.name)  # type: ignore[attr-defined]


def _national_currency(country: object, by_prefix: dict[str, list[Currency]]) -> Currency | None:
    alpha2 = str(country.alpha_2)  # type: ignore[attr-defined]
    numeric = str(country.numeric)  # type: ignore[attr-defined]
    candidates = [c for c in by_prefix.get(alpha2, []) if is_clean_name(c.name)]
    same_number = [c for c in candidates if c.numeric == numeric]
    if same_number:
        return same_number[0]
    return candidates[0] if len(candidates) == 1 else None


def _lower_first(kind: str) -> str:
    return kind[:1].lower() + kind[1:]


def _usable_subdivisions(
    raw: Iterable[object], country_name: str, name_counts: Counter[str], reserved: set[str]
) -> tuple[Subdivision, ...]:
    by_code = {str(s.code): s for s in raw}  # type: ignore[attr-defined]
    child_kinds: dict[str, Counter[str]] = {}
    for sub in by_code.values():
        parent_code = getattr(sub, "parent_code", None)
        if parent_code is not None:
            child_kinds.setdefault(str(parent_code), Counter())[str(sub.type)] += 1  # type: ignore[attr-defined]
    usable: list[Subdivision] = []
    for code in sorted(by_code):
        sub = by_code[code]
        name, kind = str(sub.name), str(sub.type)  # type: ignore[attr-defined]
        parent = getattr(sub, "parent_code", None)
        if parent is not None and (parent not in by_code or by_code[parent].parent_code):  # type: ignore[attr-defined]
            continue  # only one level of nesting: child -> top-level parent
        if not is_clean_name(name) or kind in _SKIPPED_TYPES or name_counts[fold(name)] != 1:
            continue
        if fold(name) in reserved or mentions(name, country_name) or mentions(country_name, name):
            continue
        if parent is not None:
            parent_name = str(by_code[parent].name)  # type: ignore[attr-defined]
            if mentions(parent_name, name) or mentions(name, parent_name):
                continue  # "Casablanca" in "Casablanca-Settat" would skip a hop
        kinds = child_kinds.get(code, Counter())
        child_kind = _lower_first(kinds.most_common(1)[0][0]) if kinds else ""
        usable.append(
            Subdivision(
                code,
                name,
                _lower_first(kind),
                parent,
                sum(kinds.values()),
                child_kind,
                len(kinds) > 1,
            )
        )
    return tuple(usable)


def load_factbook() -> FactBook:
    """Read pycountry's bundled ISO tables into typed, sorted facts."""
    currencies = sorted(
        (Currency(str(c.alpha_3), str(c.numeric), str(c.name)) for c in pycountry.currencies),
        key=lambda c: c.code,
    )
    by_prefix: dict[str, list[Currency]] = {}
    for cur in currencies:
        by_prefix.setdefault(cur.code[:2], []).append(cur)
    all_countries = sorted(pycountry.countries, key=lambda c: str(c.alpha_2))
    # Names a subject must not collide with: any country or currency, or a stop word.
    reserved = {fold(_country_name(c)) for c in all_countries}
    reserved |= {fold(str(c.name)) for c in all_countries}
    reserved |= {fold(c.name) for c in currencies} | set(_ENGLISH_WORDS.split())
    name_counts = Counter(fold(str(s.name)) for s in pycountry.subdivisions)
    candidates: list[Country] = []
    national: list[Currency] = []
    others: list[str] = []
    for raw in all_countries:
        name = _country_name(raw)
        currency = _national_currency(raw, by_prefix)
        if currency is not None:
            national.append(currency)
        raw_subs = list(pycountry.subdivisions.get(country_code=raw.alpha_2) or [])
        country = _candidate(raw, name, currency, raw_subs, name_counts, reserved)
        if country is None:
            if is_clean_name(name):
                others.append(name)
            continue
        candidates.append(country)
    # "Guinea" inside "Papua New Guinea" would make mentions of one count for the other.
    distinct = [
        c
        for c in candidates
        if not any(o is not c and mentions(o.name, c.name) for o in candidates)
    ]
    others.extend(c.name for c in candidates if c not in distinct)
    return FactBook(
        countries=tuple(distinct),
        other_country_names=tuple(others),
        national_currencies=tuple(sorted(set(national), key=lambda c: c.code)),
        pycountry_version=version("pycountry"),
    )


def _candidate(
    raw: object,
    name: str,
    currency: Currency | None,
    raw_subs: list[object],
    name_counts: Counter[str],
    reserved: set[str],
) -> Country | None:
    if currency is None or not raw_subs or not is_clean_name(name):
        return None
    # A currency named after its country ("Fiji Dollar") would leak the bridge entity.
    if any(mentions(currency.name, word) for word in name.split() if len(word) > 3):
        return None
    subs = _usable_subdivisions(raw_subs, name, name_counts, reserved)
    if len([s for s in subs if s.parent is None]) < 2:
        return None
    official = getattr(raw, "official_name", None)
    if official is not None and (not is_clean_name(str(official)) or str(official) == name):
        official = None
    kinds = Counter(
        str(s.type)  # type: ignore[attr-defined]
        for s in raw_subs
        if getattr(s, "parent_code", None) is None
    )
    return Country(
        alpha2=str(raw.alpha_2),  # type: ignore[attr-defined]
        alpha3=str(raw.alpha_3),  # type: ignore[attr-defined]
        name=name,
        official=None if official is None else str(official),
        pycountry_name=str(raw.name),  # type: ignore[attr-defined]
        currency=currency,
        subdivision_count=sum(kinds.values()),
        main_kind=_lower_first(kinds.most_common(1)[0][0]),
        subdivisions=subs,
    )
