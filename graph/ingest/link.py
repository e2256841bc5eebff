"""Link stage: resolve mentions to entities, within and across documents.

Resolution, most certain first:
1. normalisation (case, punctuation, leading "the", corporate suffixes) gives
   every mention a *key*; mentions with one key are one entity;
2. acronyms introduced in the text ("Northwind Mutual Insurance (NMI)") make
   the short and the long key one entity;
3. keys already in the graph (an entity's ``keys`` list) link to that entity,
   so "HTC" in one document finds the entity another document defined;
4. for an entity still new, an embedding near-duplicate of the same type above
   a conservative threshold links to the existing entity.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from graph.ingest.chunk import chunks_containing
from graph.model import Analysis, ChunkDraft, EntityDraft, LinkedMention, Mention

CORPORATE_SUFFIXES = frozenset({
    "inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "plc", "corp",
    "corporation", "co", "company", "gmbh", "ag", "sa", "nv", "bv", "srl", "spa", "oy", "ab",
})
EXTRACTOR_RANK = {"ruler": 0, "ner": 1, "identifier": 2, "acronym": 3, "propn": 4}
# Mentions of these classes are values, not things: they are linked but never
# merged by embedding similarity.
VALUE_TYPES = frozenset({"Date", "Money"})
GENERIC_TYPE = "Thing"

_PUNCT = re.compile(r"[^\w\s-]+")
_SPACE = re.compile(r"[\s_-]+")


def normalise(surface: str) -> str:
    """The key two surfaces share when they name the same thing."""
    text = unicodedata.normalize("NFKC", surface).lower().replace("&", " and ")
    text = _PUNCT.sub(" ", text.replace("'s ", " ").removesuffix("'s"))
    words = _SPACE.sub(" ", text).strip().split(" ")
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    while len(words) > 1 and words[-1] in CORPORATE_SUFFIXES:
        words = words[:-1]
    return " ".join(words)


def slug(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key).strip("-") or "x"


@dataclass(frozen=True, slots=True)
class KnownEntity:
    id: str
    type: str
    keys: tuple[str, ...]


# keys -> existing entities that own any of them (backed by the graph)
EntityLookup = Callable[[Sequence[str]], Sequence[KnownEntity]]


@dataclass(slots=True)
class Registry:
    """Entities resolved so far in this run, so later documents see earlier ones."""

    by_key: dict[str, KnownEntity] = field(default_factory=dict)

    def add(self, entity: KnownEntity) -> None:
        for key in entity.keys:
            self.by_key.setdefault(key, entity)

    def absorb(self, gone: str, keep: KnownEntity) -> None:
        """After a merge, every key of ``gone`` resolves to ``keep``."""
        for key, known in list(self.by_key.items()):
            if known.id == gone:
                self.by_key[key] = keep


@dataclass(frozen=True, slots=True)
class LinkResult:
    entities: tuple[EntityDraft, ...]
    mentions: tuple[LinkedMention, ...]
    entity_of_mention: tuple[str | None, ...]  # per Analysis.mentions index
    keys: Mapping[str, tuple[str, ...]]  # entity id -> keys
    renamed: frozenset[str]  # entity ids whose name should become the long form
    merges: tuple[tuple[str, str], ...] = ()  # (keep, gone): two known entities are one
    new_ids: frozenset[str] = frozenset()  # entities no earlier document named


@dataclass(slots=True)
class _Group:
    keys: set[str] = field(default_factory=set)
    mentions: list[int] = field(default_factory=list)


def mention_keys(analysis: Analysis) -> set[str]:
    """Every key :func:`link_document` may look up for this analysis (to prefetch them)."""
    return {k for g in _group_mentions(analysis) for k in g.keys}


def prefetched(lookup: EntityLookup, keys: Sequence[str]) -> EntityLookup:
    """One lookup for a batch's keys; the returned lookup answers from its result.

    Stored entities are looked up when a batch is analysed, as before, just once per
    batch instead of once per document (each lookup scans the entities' keys).
    """
    by_key: dict[str, list[KnownEntity]] = defaultdict(list)
    for entity in lookup(keys) if keys else ():
        for key in entity.keys:
            by_key[key].append(entity)

    def cached(wanted: Sequence[str]) -> list[KnownEntity]:
        found: dict[str, KnownEntity] = {}
        for key in wanted:
            for entity in by_key.get(key, ()):
                found.setdefault(entity.id, entity)
        return list(found.values())

    return cached


def link_document(
    analysis: Analysis,
    chunks: Sequence[ChunkDraft],
    *,
    lookup: EntityLookup,
    registry: Registry,
) -> LinkResult:
    """Resolve one document's mentions to entity ids and place them in chunks."""
    groups = _group_mentions(analysis)
    all_keys = sorted({k for g in groups for k in g.keys})
    known = {k: registry.by_key[k] for k in all_keys if k in registry.by_key}
    missing = [k for k in all_keys if k not in known]
    for entity in lookup(missing) if missing else ():
        registry.add(entity)
        for key in entity.keys:
            known.setdefault(key, entity)

    long_forms = {normalise(long) for _, long in analysis.acronyms}
    entity_of_mention: list[str | None] = [None] * len(analysis.mentions)
    drafts: dict[str, EntityDraft] = {}
    keys_of: dict[str, set[str]] = defaultdict(set)
    renamed: set[str] = set()
    merges: list[tuple[str, str]] = []
    new_ids: set[str] = set()
    for group in groups:
        mentions = [analysis.mentions[i] for i in group.mentions]
        best = min(mentions, key=lambda m: (EXTRACTOR_RANK.get(m.extractor, 9), -len(m.surface)))
        hits = sorted({known[k].id for k in group.keys if k in known})
        if hits:
            entity_id = hits[0]
            # The group's keys name two entities known so far (e.g. "HTC" seen alone,
            # then "Harbor Trust Company (HTC)"): they are one, the first id survives.
            merges.extend((entity_id, gone) for gone in hits[1:])
            etype = next(known[k].type for k in sorted(group.keys) if k in known)
            if etype == GENERIC_TYPE:  # a proper-noun guess gives way to a typed mention
                etype = _majority_type(mentions)
        else:
            entity_id = "e:" + slug(_canonical_key(group, long_forms))
            etype = _majority_type(mentions)
            new_ids.add(entity_id)
        name = _display_name(mentions, long_forms)
        if normalise(name) in long_forms:
            renamed.add(entity_id)
        aliases = sorted({m.surface for m in mentions} - {name})
        previous = drafts.get(entity_id)
        if previous is not None:
            aliases = sorted(set(previous.aliases) | set(aliases) | {name} - {previous.name})
            name = previous.name
        drafts[entity_id] = EntityDraft(id=entity_id, name=name, type=etype,
                                        aliases=tuple(aliases), context=best.label)
        keys_of[entity_id] |= group.keys
        for gone in hits[1:]:
            keys_of[entity_id] |= {k for k, e in known.items() if e.id == gone}
        kept = KnownEntity(entity_id, etype, tuple(sorted(keys_of[entity_id])))
        registry.add(kept)
        for gone in hits[1:]:
            registry.absorb(gone, kept)
        for i in group.mentions:
            entity_of_mention[i] = entity_id

    linked = _place_mentions(analysis.mentions, entity_of_mention, chunks)
    return LinkResult(
        entities=tuple(drafts[k] for k in sorted(drafts)),
        mentions=linked,
        entity_of_mention=tuple(entity_of_mention),
        keys={k: tuple(sorted(v)) for k, v in keys_of.items()},
        renamed=frozenset(renamed),
        merges=tuple(merges),
        new_ids=frozenset(new_ids),
    )


def _group_mentions(analysis: Analysis) -> list[_Group]:
    """Union mentions by key, then union acronym pairs (short with long)."""
    alias_of = {normalise(short): normalise(long) for short, long in analysis.acronyms}
    by_key: dict[str, _Group] = {}
    for i, m in enumerate(analysis.mentions):
        key = normalise(m.surface)
        if not key:
            continue
        canonical = alias_of.get(key, key)
        group = by_key.setdefault(canonical, _Group())
        group.keys.add(key)
        group.keys.add(canonical)
        group.mentions.append(i)
    for short, long in alias_of.items():  # an acronym defined but used only via its long form
        if long in by_key:
            by_key[long].keys.add(short)
    return [by_key[k] for k in sorted(by_key)]


def _canonical_key(group: _Group, long_forms: set[str]) -> str:
    longs = sorted(k for k in group.keys if k in long_forms)
    return longs[0] if longs else max(sorted(group.keys), key=len)


def _majority_type(mentions: Sequence[Mention]) -> str:
    votes = Counter(m.label for m in mentions if m.extractor in ("ruler", "ner", "identifier"))
    if not votes:
        votes = Counter(m.label for m in mentions)
    return sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _display_name(mentions: Sequence[Mention], long_forms: set[str]) -> str:
    for m in mentions:
        if normalise(m.surface) in long_forms:
            return m.surface
    counts = Counter(m.surface for m in mentions)
    return sorted(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))[0][0]


def _place_mentions(
    mentions: Sequence[Mention], entity_of: Sequence[str | None], chunks: Sequence[ChunkDraft]
) -> tuple[LinkedMention, ...]:
    """One MENTIONS per (chunk, mention) with offsets into the chunk text."""
    placed: list[LinkedMention] = []
    for m, entity_id in zip(mentions, entity_of, strict=True):
        if entity_id is None:
            continue
        for c in chunks_containing(chunks, m.start, m.end):
            placed.append(LinkedMention(chunk_id=c.id, entity_id=entity_id,
                                        start=m.start - c.start, end=m.end - c.start,
                                        surface=m.surface, extractor=m.extractor))
    return tuple(placed)
