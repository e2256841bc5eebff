"""Build the benchmark corpus: one short document per fact, with distractor sentences.

Document kinds (ids):
``codes-XX``   a country's ISO 3166-1 codes and official name;
``money-XX``   a country's national currency and how many subdivisions it has;
``iso4217-XXX`` a currency's codes and its neighbours in the ISO 4217 list
               (never the country that issues it);
``sub-XX-YY``  a subdivision: its country (first level) or its parent (second level,
               never the country), its ISO 3166-2 code, siblings absent from the corpus.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from bench.multihop import templates as t
from bench.multihop.facts import Country, Currency, FactBook, Subdivision
from bench.multihop.text import article, country_ref, join_names, plural, sentence

MAX_TOP = 5  # first-level subdivisions with a document, per country
MAX_PARENTS = 2  # first-level subdivisions whose children get documents
MAX_CHILDREN = 3  # second-level subdivisions with a document, per country
FINANCE_SHARE = 0.05  # share of documents restricted to the "finance" ACL group
URN = "urn:kgrag:bench:multihop:"


@dataclass(frozen=True, slots=True)
class Corpus:
    """The documents plus the indexes question generation needs."""

    docs: tuple[dict[str, object], ...]
    countries: tuple[Country, ...]
    subdivisions: Mapping[str, tuple[Subdivision, ...]]  # alpha-2 -> with a document


def codes_doc(country: Country) -> str:
    """Id of the document with a country's ISO 3166-1 codes."""
    return f"codes-{country.alpha2}"


def money_doc(country: Country) -> str:
    """Id of the document naming a country's national currency."""
    return f"money-{country.alpha2}"


def currency_doc(currency: Currency) -> str:
    """Id of the ISO 4217 document of a currency."""
    return f"iso4217-{currency.code}"


def sub_doc(sub: Subdivision) -> str:
    """Id of a subdivision's document."""
    return f"sub-{sub.code}"


def build_corpus(book: FactBook, chosen: tuple[Country, ...], rng: random.Random) -> Corpus:
    """Write the documents for ``chosen`` countries; ``rng`` picks templates and subsets."""
    docs: list[dict[str, object]] = []
    picked: dict[str, tuple[Subdivision, ...]] = {}
    for country in chosen:
        subs = _pick_subdivisions(country, rng)
        picked[country.alpha2] = subs
        docs.append(_codes(country, rng))
        docs.append(_money(country, rng))
        docs.append(_currency(country.currency, book.national_currencies, rng))
        in_corpus = {s.code for s in subs}
        docs.extend(_subdivision(country, sub, in_corpus, rng) for sub in subs)
    docs.sort(key=lambda d: str(d["id"]))
    _restrict_finance(docs, rng)
    return Corpus(tuple(docs), chosen, picked)


def _doc(doc_id: str, title: str, sentences: list[str], source: str) -> dict[str, object]:
    return {
        "id": doc_id,
        "title": title,
        "text": " ".join(sentences),
        "uri": URN + source,
        "acl": ["public"],
    }


def _pick_subdivisions(country: Country, rng: random.Random) -> tuple[Subdivision, ...]:
    top = list(country.top_level())
    parents = [s for s in top if country.children_of(s.code)]
    chosen_parents = rng.sample(parents, min(MAX_PARENTS, len(parents)))
    rest = [s for s in top if s not in chosen_parents]
    tops = chosen_parents + rng.sample(rest, min(MAX_TOP - len(chosen_parents), len(rest)))
    children = [c for p in chosen_parents for c in country.children_of(p.code)]
    kids = rng.sample(children, min(MAX_CHILDREN, len(children)))
    return tuple(sorted(tops + kids, key=lambda s: s.code))


def _codes(country: Country, rng: random.Random) -> dict[str, object]:
    fill = {"country": country_ref(country.name), "a2": country.alpha2, "a3": country.alpha3}
    sentences = [sentence(rng.choice(t.COUNTRY_CODES), **fill)]
    if country.official:
        sentences.append(sentence(rng.choice(t.OFFICIAL_NAME), official=country.official, **fill))
    sentences.append(sentence(rng.choice(t.SUBDIVISION_PREFIX), **fill))
    title = f"{country.name}: ISO 3166-1 entry"
    return _doc(codes_doc(country), title, sentences, f"iso3166-1:{country.alpha2}")


def _money(country: Country, rng: random.Random) -> dict[str, object]:
    cur, ref = country.currency, country_ref(country.name)
    sentences = [
        sentence(rng.choice(t.CURRENCY_OF), country=ref, cur=cur.name, code=cur.code),
        sentence(
            rng.choice(t.SUBDIVISION_COUNT),
            n=country.subdivision_count,
            country=ref,
            kinds=plural(country.main_kind),
        ),
    ]
    title = f"Money in {ref}"
    return _doc(money_doc(country), title, sentences, f"iso3166-1:{country.alpha2}:currency")


def _currency(
    cur: Currency, national: tuple[Currency, ...], rng: random.Random
) -> dict[str, object]:
    sentences = [
        sentence(rng.choice(t.CURRENCY_CODES), cur=cur.name, code=cur.code, num=cur.numeric)
    ]
    # Neighbours in code order, skipping any other currency of the same issuer.
    others = [c for c in national if c.code[:2] != cur.code[:2] or c == cur]
    at = others.index(cur)
    prev = others[at - 1] if at > 0 else None
    nxt = others[at + 1] if at + 1 < len(others) else None
    templates: tuple[str, ...]
    fill: dict[str, str]
    if prev and nxt:
        templates, fill = (
            t.CURRENCY_NEIGHBOURS,
            {"prev": prev.name, "pcode": prev.code, "next": nxt.name, "ncode": nxt.code},
        )
    elif nxt:
        templates, fill = t.CURRENCY_FIRST, {"next": nxt.name, "ncode": nxt.code}
    elif prev:
        templates, fill = t.CURRENCY_LAST, {"prev": prev.name, "pcode": prev.code}
    else:
        templates, fill = (), {}
    if templates:
        sentences.append(sentence(rng.choice(templates), **fill))
    title = f"{cur.name} ({cur.code})"
    return _doc(currency_doc(cur), title, sentences, f"iso4217:{cur.code}")


def _subdivision(
    country: Country, sub: Subdivision, in_corpus: set[str], rng: random.Random
) -> dict[str, object]:
    fill = {
        "sub": sub.name,
        "kind": sub.kind,
        "a_kind": article(sub.kind),
        "kinds": plural(sub.kind),
    }
    if sub.parent is None:
        place = country_ref(country.name)
        sentences = [sentence(rng.choice(t.TOP_SUBDIVISION), country=place, **fill)]
        sentences.append(sentence(rng.choice(t.SUBDIVISION_CODE), code=sub.code))
        peers = country.top_level()
    else:
        # A second-level document names its parent but never the country (nor its own
        # ISO code, whose prefix is the country's alpha-2): that hop has to go
        # through the parent's document.
        parent = next(s for s in country.subdivisions if s.code == sub.parent)
        place = parent.name
        sentences = [sentence(rng.choice(t.CHILD_SUBDIVISION), parent=place, **fill)]
        sentences.append(
            sentence(
                rng.choice(t.PARENT_KIND),
                parent=place,
                parent_kind=parent.kind,
                a_parent_kind=article(parent.kind),
            )
        )
        peers = country.children_of(parent.code)
    siblings = [s.name for s in peers if s.kind == sub.kind and s.code not in in_corpus]
    if len(siblings) >= 2:
        names = join_names(rng.sample(siblings, 2))
        sentences.append(
            sentence(rng.choice(t.SIBLINGS), kinds=fill["kinds"], place=place, names=names)
        )
    elif siblings:
        sentences.append(
            sentence(rng.choice(t.ONE_SIBLING), name=siblings[0], kind=sub.kind, place=place)
        )
    if sub.parent is None and sub.child_count:
        templates = t.CHILD_COUNT_MIXED if sub.child_mixed else t.CHILD_COUNT
        sentences.append(
            sentence(
                rng.choice(templates),
                sub=sub.name,
                n=sub.child_count,
                child_kinds=plural(sub.child_kind),
            )
        )
    title = f"{sub.name} ({sub.kind})"
    return _doc(sub_doc(sub), title, sentences, f"iso3166-2:{sub.code}")


def _restrict_finance(docs: list[dict[str, object]], rng: random.Random) -> None:
    """Move a seeded ~5% of the documents, all ISO 4217 sheets, to the finance group."""
    sheets = [d for d in docs if str(d["id"]).startswith("iso4217-")]
    count = min(len(sheets), round(FINANCE_SHARE * len(docs)))
    for doc in rng.sample(sheets, count):
        doc["acl"] = ["finance"]
