"""Load the packaged enterprise ontology, merged with user ontology files, with rdflib.

Every rdflib failure is turned into :class:`ontology.errors.OntologyError` here, at
the boundary, with the file name and, when the parser reports one, the line.
"""

from __future__ import annotations

import hashlib
import json
import warnings
import xml.sax
from collections.abc import Iterable, Sequence
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, XSD
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.term import Node

from ontology.errors import OntologyError
from ontology.model import Individual, Ontology, OntologyClass, OntologyRelation, normalize_lemma

KG = Namespace("https://kgrag.dev/ontology#")
DEFAULT_RESOURCE = "enterprise.ttl"

_FORMATS = {
    ".ttl": "turtle",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}
# Vocabulary terms are never domain classes or relations, even if a file types them so.
_BUILTIN = tuple(str(ns) for ns in (OWL, RDF, RDFS, XSD, SKOS))


def load_ontology(extra: Sequence[str | Path] = ()) -> Ontology:
    """Load the default enterprise ontology merged with the files in ``extra``.

    The format of each extra file follows its suffix: ``.ttl`` Turtle, ``.rdf``,
    ``.owl`` or ``.xml`` RDF/XML, ``.jsonld`` or ``.json`` JSON-LD. A missing or
    malformed file, or a class or relation whose local name is not a safe Neo4j
    identifier, raises OntologyError.
    """
    resource = files("ontology").joinpath(DEFAULT_RESOURCE)
    default = _parse_text(resource.read_text(encoding="utf-8"), "turtle", DEFAULT_RESOURCE)
    iri, base_version = _ontology_header(default)
    graph = Graph()
    graph += default
    for item in extra:
        graph += _parse_file(Path(item))
    # Build (and so validate every name) before serialising the graph for the digest.
    ontology = _build(graph, iri, base_version)
    return replace(ontology, version=f"{base_version}+{_digest(graph)}")


# ----------------------------------------------------------------- parsing


def _parse_file(path: Path) -> Graph:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(_FORMATS))
        raise OntologyError(f"{path.name}: unsupported ontology format (use {known})")
    if not path.is_file():
        raise OntologyError(f"{path.name}: ontology file not found", file=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OntologyError(f"{path.name}: cannot read: {exc}", file=str(path)) from exc
    return _parse_text(text, fmt, path.name, public_id=path.resolve().as_uri())


def _parse_text(text: str, fmt: str, name: str, public_id: str | None = None) -> Graph:
    graph = Graph()
    try:
        with warnings.catch_warnings():
            # rdflib 7's own JSON-LD parser builds a ConjunctiveGraph, which rdflib
            # itself deprecates; nothing to fix on our side. Loading runs at start-up,
            # so the process-wide filter change is not racing other threads.
            warnings.filterwarnings(
                "ignore", message="ConjunctiveGraph is deprecated", category=DeprecationWarning
            )
            graph.parse(data=text, format=fmt, publicID=public_id)
    except BadSyntax as exc:
        line = exc.lines + 1  # BadSyntax counts lines from zero
        why = getattr(exc, "_why", None) or "bad syntax"
        raise OntologyError(f"{name} line {line}: {why}", file=name, line=line) from exc
    except xml.sax.SAXParseException as exc:
        xml_line = exc.getLineNumber()
        raise OntologyError(
            f"{name} line {xml_line}: {exc.getMessage()}", file=name, line=xml_line
        ) from exc
    except json.JSONDecodeError as exc:
        raise OntologyError(
            f"{name} line {exc.lineno}: {exc.msg}", file=name, line=exc.lineno
        ) from exc
    except Exception as exc:  # rdflib raises many types; all mean "bad file"
        raise OntologyError(f"{name}: {exc}", file=name) from exc
    return graph


def _ontology_header(graph: Graph) -> tuple[str, str]:
    for subject in graph.subjects(RDF.type, OWL.Ontology):
        version = graph.value(subject, OWL.versionInfo)
        return str(subject), str(version) if version is not None else "0"
    raise OntologyError(f"{DEFAULT_RESOURCE}: no owl:Ontology header")


def _digest(graph: Graph) -> str:
    # Canonical N-Triples, sorted, so the digest does not depend on blank node ids
    # or on serialisation order.
    canonical = to_canonical_graph(graph).serialize(format="nt")
    lines = sorted(line for line in canonical.splitlines() if line.strip())
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:8]


# ---------------------------------------------------------------- building


def _build(graph: Graph, iri: str, version: str) -> Ontology:
    class_iris = _class_iris(graph)
    names: dict[Node, str] = {c: local_name(c) for c in class_iris}
    classes = tuple(_make_class(graph, c, names) for c in sorted(class_iris))
    relations = tuple(
        _make_relation(graph, p, names) for p in sorted(_typed(graph, OWL.ObjectProperty))
    )
    depth = _depths(classes)
    individuals = tuple(
        _make_individual(graph, i, names, depth) for i in sorted(_typed(graph, OWL.NamedIndividual))
    )
    return Ontology(
        iri=iri,
        version=version,
        classes=classes,
        relations=relations,
        individuals=individuals,
        ner_label_map=_ner_map(graph, class_iris, names),
    )


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` (or, failing that, its last ``/``)."""
    # An IRI ending in "#" or "/" yields "", which the identifier check rejects.
    return iri.rsplit("#", 1)[1] if "#" in iri else iri.rsplit("/", 1)[-1]


def _typed(graph: Graph, rdf_type: URIRef) -> set[URIRef]:
    return {
        s
        for s in graph.subjects(RDF.type, rdf_type)
        if isinstance(s, URIRef) and _is_domain_term(s)
    }


def _is_domain_term(node: object) -> bool:
    return isinstance(node, URIRef) and not str(node).startswith(_BUILTIN)


def _class_iris(graph: Graph) -> set[URIRef]:
    # rdfs:subClassOf implies both ends are classes, even when a file omits the type.
    found = _typed(graph, OWL.Class) | _typed(graph, RDFS.Class)
    for child, parent in graph.subject_objects(RDFS.subClassOf):
        found.update(n for n in (child, parent) if isinstance(n, URIRef) and _is_domain_term(n))
    return found


def _make_class(graph: Graph, iri: URIRef, names: dict[Node, str]) -> OntologyClass:
    label, alts = _labels(graph, iri)
    parents = sorted({names[p] for p in graph.objects(iri, RDFS.subClassOf) if p in names})
    return OntologyClass(
        iri=str(iri), name=names[iri], label=label, alt_labels=alts, parents=tuple(parents)
    )


def _make_relation(graph: Graph, iri: URIRef, names: dict[Node, str]) -> OntologyRelation:
    label, _ = _labels(graph, iri)
    return OntologyRelation(
        iri=str(iri),
        name=local_name(str(iri)),
        label=label,
        lemmas=_lemmas(graph, iri, KG.lemma),
        inverse_lemmas=_lemmas(graph, iri, KG.inverseLemma),
        domain=_first_class(graph.objects(iri, RDFS.domain), names),
        range=_first_class(graph.objects(iri, RDFS.range), names),
    )


def _make_individual(
    graph: Graph, iri: URIRef, names: dict[Node, str], depth: dict[str, int]
) -> Individual:
    types = {names[t] for t in graph.objects(iri, RDF.type) if t in names}
    if not types:
        raise OntologyError(f"individual {iri} is not typed by any ontology class")
    # The most specific class wins; ties break by name for a stable result.
    class_name = min(types, key=lambda n: (-depth.get(n, 0), n))
    label, alts = _labels(graph, iri)
    return Individual(
        iri=str(iri), name=local_name(str(iri)), label=label, alt_labels=alts,
        class_name=class_name,
    )  # fmt: skip


def _labels(graph: Graph, iri: URIRef) -> tuple[str, tuple[str, ...]]:
    pref = _english(graph.objects(iri, SKOS.prefLabel))
    plain = _english(graph.objects(iri, RDFS.label))
    label = pref[0] if pref else plain[0] if plain else local_name(str(iri))
    alts = set(_english(graph.objects(iri, SKOS.altLabel))) | set(plain) | set(pref[1:])
    alts.discard(label)
    return label, tuple(sorted(alts))


def _english(values: Iterable[object]) -> list[str]:
    literals = [v for v in values if isinstance(v, Literal)]
    chosen = [v for v in literals if v.language is None or v.language.lower().startswith("en")]
    return sorted({" ".join(str(v).split()) for v in (chosen or literals)} - {""})


def _lemmas(graph: Graph, iri: URIRef, prop: URIRef) -> tuple[str, ...]:
    found = {normalize_lemma(str(v)) for v in graph.objects(iri, prop) if isinstance(v, Literal)}
    return tuple(sorted(found - {""}))


def _first_class(values: Iterable[object], names: dict[Node, str]) -> str | None:
    matches = sorted(names[v] for v in values if isinstance(v, URIRef) and v in names)
    return matches[0] if matches else None


def _depths(classes: Sequence[OntologyClass]) -> dict[str, int]:
    parents = {c.name: c.parents for c in classes}
    depth: dict[str, int] = {}

    def walk(name: str, trail: frozenset[str]) -> int:
        if name in depth:
            return depth[name]
        above = [p for p in parents.get(name, ()) if p not in trail]
        result = 1 + max((walk(p, trail | {name}) for p in above), default=-1)
        depth[name] = result
        return result

    for name in parents:
        walk(name, frozenset())
    return depth


def _ner_map(graph: Graph, class_iris: set[URIRef], names: dict[Node, str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for iri in sorted(class_iris):
        for value in graph.objects(iri, KG.nerLabel):
            spacy_label = str(value).strip().upper()
            owner = mapping.setdefault(spacy_label, names[iri])
            if owner != names[iri]:
                raise OntologyError(
                    f"NER label {spacy_label} is mapped to both {owner} and {names[iri]}"
                )
    return mapping
