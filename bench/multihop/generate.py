"""Generate the multi-hop retrieval benchmark (corpus + questions) from pycountry's ISO data.

Usage::

    python -m bench.multihop.generate --out DIR [--seed 7] [--countries 60]

writes ``DIR/corpus.jsonl``, ``DIR/questions.jsonl`` and ``DIR/manifest.json`` (seed,
country count, pycountry version, counts) and prints the counts per hop. The output
depends only on the seed, the country count and the pycountry version; it needs no
network.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.multihop.corpus import build_corpus
from bench.multihop.facts import load_factbook
from bench.multihop.questions import build_questions
from ontology.errors import InvalidInputError

DEFAULT_SEED = 7
DEFAULT_COUNTRIES = 60


def generate(
    seed: int = DEFAULT_SEED, countries: int = DEFAULT_COUNTRIES
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Return ``(corpus, questions)`` rows for ``countries`` countries drawn with ``seed``.

    Countries are drawn among those with a national currency and at least two
    subdivisions with clean names; ``countries`` is capped at that number.
    """
    if countries < 1:
        raise InvalidInputError("countries must be at least 1", countries=countries)
    book = load_factbook()
    rng = random.Random(seed)
    drawn = rng.sample(book.countries, min(countries, len(book.countries)))
    chosen = tuple(sorted(drawn, key=lambda c: c.alpha2))
    corpus = build_corpus(book, chosen, rng)
    questions = build_questions(book, corpus, rng)
    return [dict(d) for d in corpus.docs], questions


def summary(
    corpus: Sequence[dict[str, object]], questions: Sequence[dict[str, object]]
) -> dict[str, object]:
    """Counts for the manifest and the console."""
    hops = Counter(str(q["hops"]) for q in questions if q["answerable"])
    return {
        "documents": len(corpus),
        "finance_documents": sum(1 for d in corpus if d["acl"] == ["finance"]),
        "questions": len(questions),
        "answerable_by_hops": dict(sorted(hops.items())),
        "unanswerable": sum(1 for q in questions if not q["answerable"]),
        "requiring_finance": sum(1 for q in questions if q["requires_acl"]),
    }


def write_jsonl(path: Path, rows: Sequence[dict[str, object]]) -> None:
    """One JSON object per line, UTF-8, keys in insertion order."""
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--countries", type=int, default=DEFAULT_COUNTRIES)
    args = parser.parse_args(argv)
    corpus, questions = generate(args.seed, args.countries)
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out / "corpus.jsonl", corpus)
    write_jsonl(args.out / "questions.jsonl", questions)
    from importlib.metadata import version

    counts = summary(corpus, questions)
    manifest = {
        "seed": args.seed,
        "countries": args.countries,
        "pycountry": version("pycountry"),
        **counts,
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
