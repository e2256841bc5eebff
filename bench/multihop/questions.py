"""Questions over the corpus: 1-, 2- and 3-hop chains plus unanswerable ones.

Every candidate is checked by :func:`problems` before it is kept, so a chain whose
bridge leaks into the question, or whose answer can be read off an earlier hop, never
reaches the output.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence

from bench.multihop import templates as t
from bench.multihop.corpus import Corpus, codes_doc, currency_doc, money_doc, sub_doc
from bench.multihop.facts import Country, FactBook, Subdivision
from bench.multihop.text import country_ref, mentions, sentence

QUOTAS = {1: 60, 2: 100, 3: 40}
UNANSWERABLE = 20
Row = dict[str, object]


def build_questions(book: FactBook, corpus: Corpus, rng: random.Random) -> list[Row]:
    """Pick about 60/100/40 valid 1-/2-/3-hop questions and 20 unanswerable ones."""
    docs = {str(d["id"]): d for d in corpus.docs}
    pools: dict[int, dict[str, list[Row]]] = {1: {}, 2: {}, 3: {}}
    for row in _candidates(corpus, rng):
        if not problems(row, docs):
            hops = int(str(row["hops"]))
            pools[hops].setdefault(str(row["kind"]), []).append(row)
    chosen: list[Row] = []
    for hops, quota in QUOTAS.items():
        chosen.extend(_round_robin(pools[hops], quota, rng))
    chosen.extend(_unanswerable(book, corpus, rng))
    for number, row in enumerate(chosen, start=1):
        row["id"] = f"mh-q{number:04d}"
        row["requires_acl"] = sorted(
            {g for d in _strs(row["supporting_docs"]) for g in _strs(docs[d]["acl"])} - {"public"}
        )
    return [_ordered(row) for row in chosen]


def problems(row: Row, docs: Mapping[str, Row]) -> list[str]:
    """Why a question is not a fair retrieval test (empty list when it is)."""
    found: list[str] = []
    support = _strs(row["supporting_docs"])
    if any(d not in docs for d in support):
        return ["unknown supporting doc"]
    texts = [f"{docs[d]['title']}\n{docs[d]['text']}" for d in support]
    question, subject = str(row["question"]), str(row["subject"])
    answers = [str(row["answer"]), *_strs(row["aliases"])]
    bridges = _strs(row["bridges"])
    if len(support) != row["hops"] or len(bridges) != len(support) - 1:
        found.append("hop count does not match the chain")
    if not mentions(texts[0], subject) or any(mentions(x, subject) for x in texts[1:]):
        found.append("subject is not confined to the first document")
    if not any(mentions(texts[-1], a) for a in answers):
        found.append("answer missing from the last document")
    if any(mentions(x, a) for x in texts[:-1] for a in answers) or mentions(question, answers[0]):
        found.append("answer readable before the last hop")
    for i, bridge in enumerate(bridges):
        if mentions(question, bridge):
            found.append(f"bridge {bridge!r} named in the question")
        if not (mentions(texts[i], bridge) and mentions(texts[i + 1], bridge)):
            found.append(f"bridge {bridge!r} does not link documents {i} and {i + 1}")
    return found


def _strs(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _ordered(row: Row) -> Row:
    keys = (
        "id",
        "question",
        "answer",
        "aliases",
        "supporting_docs",
        "hops",
        "answerable",
        "requires_acl",
        "subject",
        "bridges",
        "kind",
    )
    return {k: row[k] for k in keys}


def _round_robin(pools: dict[str, list[Row]], quota: int, rng: random.Random) -> list[Row]:
    queues = []
    for kind in sorted(pools):
        rows = list(pools[kind])
        rng.shuffle(rows)
        queues.append(rows)
    taken: list[Row] = []
    seen: set[str] = set()
    while len(taken) < quota and any(queues):
        for queue in queues:
            while queue and len(taken) < quota:
                row = queue.pop()
                if str(row["question"]) not in seen:
                    seen.add(str(row["question"]))
                    taken.append(row)
                    break
    return taken


def _row(
    kind: str,
    text: str,
    answer: str,
    aliases: Sequence[str],
    support: Sequence[str],
    subject: str,
    bridges: Sequence[str] = (),
) -> Row:
    return {
        "question": text,
        "answer": answer,
        "aliases": [a for a in dict.fromkeys(aliases) if a and a != answer],
        "supporting_docs": list(support),
        "hops": len(support),
        "answerable": True,
        "subject": subject,
        "bridges": list(bridges),
        "kind": kind,
    }


def _country_aliases(country: Country) -> list[str]:
    return [a for a in (country.official, country.pycountry_name) if a and a != country.name]


def _candidates(corpus: Corpus, rng: random.Random) -> Iterator[Row]:
    def ask(templates: Sequence[str], **fill: str) -> str:
        return sentence(rng.choice(templates), **fill)

    for c in corpus.countries:
        cur, subs = c.currency, corpus.subdivisions[c.alpha2]
        names = {"country": country_ref(c.name), "cur": cur.name, "num": cur.numeric}
        yield from _country_rows(c, ask, names)
        for s in subs:
            if s.parent is None:
                yield from _top_rows(c, s, ask)
            else:
                parent = next(p for p in subs if p.code == s.parent)
                yield from _child_rows(c, s, parent, ask)


Ask = Callable[..., str]


def _country_rows(c: Country, ask: Ask, n: dict[str, str]) -> Iterator[Row]:
    cur = c.currency
    money, codes, sheet = money_doc(c), codes_doc(c), currency_doc(cur)
    country = [c.name, _country_aliases(c)]
    yield _row(
        "currency_of_country",
        ask(t.Q_CURRENCY_OF_COUNTRY, **n),
        cur.name,
        [cur.code],
        [money],
        c.name,
    )
    yield _row("alpha3_of_country", ask(t.Q_ALPHA3_OF_COUNTRY, **n), c.alpha3, [], [codes], c.name)
    if c.official:
        yield _row(
            "official_of_country",
            ask(t.Q_OFFICIAL_OF_COUNTRY, **n),
            c.official,
            [],
            [codes],
            c.name,
        )
    yield _row(
        "numeric_of_currency", ask(t.Q_NUMERIC_OF_CURRENCY, **n), cur.numeric, [], [sheet], cur.name
    )
    yield _row(
        "numeric_of_country",
        ask(t.Q_NUMERIC_OF_COUNTRY, **n),
        cur.numeric,
        [],
        [money, sheet],
        c.name,
        [cur.name],
    )
    yield _row(
        "alpha3_of_currency",
        ask(t.Q_ALPHA3_OF_CURRENCY, **n),
        c.alpha3,
        [],
        [money, codes],
        cur.name,
        [c.name],
    )
    yield _row(
        "country_of_numeric",
        ask(t.Q_COUNTRY_OF_NUMERIC, **n),
        c.name,
        country[1],
        [sheet, money],
        cur.numeric,
        [cur.name],
    )
    yield _row(
        "alpha3_of_numeric",
        ask(t.Q_ALPHA3_OF_NUMERIC, **n),
        c.alpha3,
        [],
        [sheet, money, codes],
        cur.numeric,
        [cur.name, c.name],
    )


def _top_rows(c: Country, s: Subdivision, ask: Ask) -> Iterator[Row]:
    cur = c.currency
    n = {"sub": s.name, "kind": s.kind}
    sub, money, codes = sub_doc(s), money_doc(c), codes_doc(c)
    yield _row(
        "country_of_top", ask(t.Q_COUNTRY_OF_TOP, **n), c.name, _country_aliases(c), [sub], s.name
    )
    yield _row(
        "currency_of_top",
        ask(t.Q_CURRENCY_OF_TOP, **n),
        cur.name,
        [cur.code],
        [sub, money],
        s.name,
        [c.name],
    )
    yield _row(
        "alpha3_of_top", ask(t.Q_ALPHA3_OF_TOP, **n), c.alpha3, [], [sub, codes], s.name, [c.name]
    )
    if c.official:
        yield _row(
            "official_of_top",
            ask(t.Q_OFFICIAL_OF_TOP, **n),
            c.official,
            [],
            [sub, codes],
            s.name,
            [c.name],
        )
    yield _row(
        "numeric_of_top",
        ask(t.Q_NUMERIC_OF_TOP, **n),
        cur.numeric,
        [],
        [sub, money, currency_doc(cur)],
        s.name,
        [c.name, cur.name],
    )


def _child_rows(c: Country, s: Subdivision, parent: Subdivision, ask: Ask) -> Iterator[Row]:
    n = {"sub": s.name, "kind": s.kind}
    child, up = sub_doc(s), sub_doc(parent)
    yield _row("parent_of_child", ask(t.Q_PARENT_OF_CHILD, **n), parent.name, [], [child], s.name)
    yield _row(
        "country_of_child",
        ask(t.Q_COUNTRY_OF_CHILD, **n),
        c.name,
        _country_aliases(c),
        [child, up],
        s.name,
        [parent.name],
    )
    yield _row(
        "currency_of_child",
        ask(t.Q_CURRENCY_OF_CHILD, **n),
        c.currency.name,
        [c.currency.code],
        [child, up, money_doc(c)],
        s.name,
        [parent.name, c.name],
    )
    yield _row(
        "alpha3_of_child",
        ask(t.Q_ALPHA3_OF_CHILD, **n),
        c.alpha3,
        [],
        [child, up, codes_doc(c)],
        s.name,
        [parent.name, c.name],
    )


def _unanswerable(book: FactBook, corpus: Corpus, rng: random.Random) -> list[Row]:
    """Questions about countries, subdivisions and currency numbers absent from the corpus.

    Each pool lists its preferred subjects first (countries left out of the corpus and
    their subdivisions); the fallbacks matter only when every candidate is in it.
    """
    chosen = {c.alpha2 for c in corpus.countries}
    absent = [c for c in book.countries if c.alpha2 not in chosen]
    picked = {s.code for subs in corpus.subdivisions.values() for s in subs}
    texts = [f"{d['title']}\n{d['text']}" for d in corpus.docs]
    left_out = [s for c in corpus.countries for s in c.top_level() if s.code not in picked]
    countries = [(c.name, {"country": country_ref(c.name)}) for c in absent]
    territories = [(n, {"country": country_ref(n)}) for n in book.other_country_names]
    subs = [(s.name, {"sub": s.name, "kind": s.kind}) for c in absent for s in c.top_level()]
    spare_subs = [(s.name, {"sub": s.name, "kind": s.kind}) for s in left_out]
    numbers = [(c.currency.numeric, {"num": c.currency.numeric}) for c in absent]
    # kind -> (how many, hops, templates, subject pools in order of preference)
    pools: dict[str, tuple[int, int, Sequence[str], list[list[tuple[str, dict[str, str]]]]]] = {
        "absent_country": (8, 1, t.Q_CURRENCY_OF_COUNTRY, [countries, territories]),
        "absent_subdivision": (8, 2, t.Q_CURRENCY_OF_TOP, [subs, spare_subs]),
        "absent_numeric": (4, 2, t.Q_COUNTRY_OF_NUMERIC, [numbers]),
    }
    rows: list[Row] = []
    for kind, (share, hops, templates, tiers) in pools.items():
        taken = 0
        for tier in tiers:
            rng.shuffle(tier)
            for subject, fill in tier:
                if taken == share:
                    break
                if any(mentions(x, subject) for x in texts):
                    continue
                row = _row(kind, sentence(rng.choice(templates), **fill), "", [], [], subject)
                row.update(hops=hops, answerable=False)
                rows.append(row)
                taken += 1
    return rows[:UNANSWERABLE]
