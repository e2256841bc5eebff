"""Typed ontology values and the allow-lists derived from them.

:class:`Ontology` is the only source of Neo4j labels and relationship types that
may be interpolated into Cypher: :meth:`Ontology.check_label` and
:meth:`Ontology.check_relationship_type` are the gate. It is built by
:func:`ontology.loader.load_ontology`; nothing here parses RDF.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ontology.errors import OntologyError
from ontology.tokens import tokenize

#: A Neo4j label or relationship type we are willing to interpolate unquoted.
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # use with fullmatch

#: Node labels the graph uses for its own bookkeeping, beside the ontology classes.
STRUCTURAL_LABELS: frozenset[str] = frozenset(
    {
        "Document", "Chunk", "Entity", "IngestionRun", "OntologyClass", "Query", "Answer",
        "Feedback", "ApiKey", "Principal", "EmbeddingSpace", "ProvenancePath", "PathStep",
        "DriftProbe", "GraphState",
    }
)  # fmt: skip

#: Relationship types the graph uses for its own bookkeeping. ``RELATED`` is the
#: evidence-carrying entity edge of the design's data model ({predicate, chunk_id, ...}).
STRUCTURAL_TYPES: frozenset[str] = frozenset(
    {
        "PRODUCED", "HAS_CHUNK", "NEXT", "MENTIONS", "INSTANCE_OF", "SUBCLASS_OF",
        "CO_MENTIONED", "RETRIEVED", "CITES", "ANSWERED_BY", "SUPPORTED_BY", "HAS_PATH",
        "HAS_STEP", "STEP_OF", "ABOUT", "ASKED_BY", "ACTIVE", "USED_SPACE", "RELATED",
    }
)  # fmt: skip


def normalize_lemma(phrase: str) -> str:
    """Lower-case a lemma phrase and join its words with single spaces."""
    return " ".join(phrase.lower().split())


@dataclass(frozen=True, slots=True)
class OntologyClass:
    """An ``owl:Class``; ``name`` is its local name and doubles as a Neo4j label."""

    iri: str
    name: str
    label: str
    alt_labels: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()  # direct superclasses, local names


@dataclass(frozen=True, slots=True)
class OntologyRelation:
    """An ``owl:ObjectProperty``; ``name`` doubles as a Neo4j relationship type."""

    iri: str
    name: str
    label: str
    lemmas: tuple[str, ...] = ()  # grammatical subject = relation subject
    inverse_lemmas: tuple[str, ...] = ()  # grammatical subject = relation object
    domain: str | None = None  # class local name
    range: str | None = None


@dataclass(frozen=True, slots=True)
class Individual:
    """An ``owl:NamedIndividual``: a well-known entity with its surface forms."""

    iri: str
    name: str
    label: str  # canonical name (skos:prefLabel)
    alt_labels: tuple[str, ...]
    class_name: str


@dataclass(frozen=True, slots=True)
class Ontology:
    """The loaded ontology: classes, relations, individuals and derived allow-lists."""

    iri: str
    version: str
    classes: tuple[OntologyClass, ...]
    relations: tuple[OntologyRelation, ...]
    individuals: tuple[Individual, ...] = ()
    ner_label_map: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    _by_class: Mapping[str, OntologyClass] = field(init=False, repr=False, compare=False)
    _by_lemma: Mapping[str, tuple[str, bool]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_class: dict[str, OntologyClass] = {}
        for cls in self.classes:
            _check_name(cls.name, "class", cls.iri)
            if cls.name in STRUCTURAL_LABELS:
                raise OntologyError(f"class {cls.iri} clashes with structural label {cls.name}")
            if cls.name in by_class:
                raise OntologyError(f"two classes share the local name {cls.name}")
            by_class[cls.name] = cls
        for cls in self.classes:
            for parent in cls.parents:
                if parent not in by_class:
                    raise OntologyError(f"class {cls.name}: unknown superclass {parent}")
        by_lemma: dict[str, tuple[str, bool]] = {}
        seen: set[str] = set()
        for rel in self.relations:
            _check_name(rel.name, "relation", rel.iri)
            if rel.name in STRUCTURAL_TYPES:
                raise OntologyError(f"relation {rel.iri} clashes with structural type {rel.name}")
            if rel.name in seen:
                raise OntologyError(f"two relations share the local name {rel.name}")
            seen.add(rel.name)
            for phrase, inverted in _lemma_claims(rel):
                claimed = by_lemma.get(phrase)
                if claimed is not None and claimed != (rel.name, inverted):
                    raise OntologyError(
                        f"lemma {phrase!r} is claimed by both {claimed[0]} and {rel.name}"
                    )
                by_lemma[phrase] = (rel.name, inverted)
        for spacy_label, name in self.ner_label_map.items():
            if name not in by_class:
                raise OntologyError(f"NER label {spacy_label} maps to unknown class {name}")
        for ind in self.individuals:
            if ind.class_name not in by_class:
                raise OntologyError(f"individual {ind.iri}: unknown class {ind.class_name}")
        object.__setattr__(self, "ner_label_map", MappingProxyType(dict(self.ner_label_map)))
        object.__setattr__(self, "_by_class", MappingProxyType(by_class))
        object.__setattr__(self, "_by_lemma", MappingProxyType(by_lemma))

    # ------------------------------------------------------------ allow-lists

    @property
    def labels(self) -> frozenset[str]:
        """Every Neo4j node label the graph may use: classes plus structural labels."""
        return frozenset(self._by_class) | STRUCTURAL_LABELS

    @property
    def relationship_types(self) -> frozenset[str]:
        """Every relationship type the graph may use: relations plus structural types."""
        return self.entity_relation_types | STRUCTURAL_TYPES

    @property
    def entity_relation_types(self) -> frozenset[str]:
        """The ontology relations only: the types that may join two entities."""
        return frozenset(rel.name for rel in self.relations)

    def check_label(self, name: str) -> str:
        """Return ``name`` if it is an allowed node label, else raise OntologyError."""
        if name not in self.labels:
            raise OntologyError(f"unknown node label {name!r}")
        return name

    def check_relationship_type(self, name: str) -> str:
        """Return ``name`` if it is an allowed relationship type, else raise OntologyError."""
        if name not in self.relationship_types:
            raise OntologyError(f"unknown relationship type {name!r}")
        return name

    # ---------------------------------------------------------------- lookups

    def class_for(self, name: str) -> OntologyClass:
        """The class with local name ``name``; OntologyError if there is none."""
        try:
            return self._by_class[name]
        except KeyError:
            raise OntologyError(f"unknown ontology class {name!r}") from None

    def parents(self, label: str) -> tuple[str, ...]:
        """All ancestors of class ``label``, nearest first, each once."""
        ancestors: list[str] = []
        frontier = list(self.class_for(label).parents)
        while frontier:
            name = frontier.pop(0)
            if name in ancestors or name == label:
                continue  # tolerate diamonds and cycles in user ontologies
            ancestors.append(name)
            frontier.extend(self._by_class[name].parents)
        return tuple(ancestors)

    def relation_for_lemma(self, lemma: str) -> tuple[str, bool] | None:
        """``(relation name, inverted)`` for a predicate lemma phrase, or None.

        ``inverted`` is True when the grammatical subject is the relation's object
        ("KPMG audits Acme" gives ``("AUDITED_BY", True)``: Acme AUDITED_BY KPMG).
        """
        return self._by_lemma.get(normalize_lemma(lemma))

    # ------------------------------------------------------------ projections

    def ruler_patterns(
        self, tokenizer: Callable[[str], Sequence[str]] | None = None
    ) -> list[dict[str, Any]]:
        """spaCy EntityRuler token patterns for every individual's labels.

        Each pattern matches one label case-insensitively (``LOWER`` per token); its
        ``label`` is the individual's class and its ``id`` the canonical name.
        ``tokenizer`` splits a label into token strings; pass
        ``lambda s: [t.text for t in nlp.tokenizer(s)]`` to follow a pipeline exactly.
        """
        split = tokenizer or tokenize
        patterns: list[dict[str, Any]] = []
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for ind in sorted(self.individuals, key=lambda i: i.name):
            for surface in (ind.label, *ind.alt_labels):
                tokens = tuple(tok.lower() for tok in split(surface) if tok.strip())
                if not tokens or (ind.class_name, tokens) in seen:
                    continue
                seen.add((ind.class_name, tokens))
                patterns.append(
                    {
                        "label": ind.class_name,
                        "pattern": [{"LOWER": tok} for tok in tokens],
                        "id": ind.label,
                    }
                )
        return patterns

    def neo4j_rows(self) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """Rows to mirror the class hierarchy into Neo4j.

        Returns ``(classes, edges)``: ``{"iri", "label", "name"}`` per class (``label``
        is the human label, ``name`` the local name) and ``{"child", "parent"}`` IRIs
        per direct ``rdfs:subClassOf`` edge.
        """
        classes = [{"iri": c.iri, "label": c.label, "name": c.name} for c in self.classes]
        edges = [
            {"child": c.iri, "parent": self._by_class[p].iri}
            for c in self.classes
            for p in c.parents
        ]
        return classes, edges


def _check_name(name: str, kind: str, iri: str) -> None:
    # The security boundary: these names are interpolated into Cypher as labels/types.
    if not IDENTIFIER.fullmatch(name):
        raise OntologyError(
            f"{kind} {iri!r}: local name {name!r} is not a valid Neo4j identifier "
            "(letters, digits and underscores, starting with a letter)"
        )


def _lemma_claims(rel: OntologyRelation) -> list[tuple[str, bool]]:
    return [(normalize_lemma(p), False) for p in rel.lemmas] + [
        (normalize_lemma(p), True) for p in rel.inverse_lemmas
    ]
