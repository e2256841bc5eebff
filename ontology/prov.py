"""PROV-O export of an audit record (W3C PROV, https://www.w3.org/TR/prov-o/).

The record (``graph.audit.get_audit``'s dict, possibly redacted) becomes::

    Answer  a prov:Entity   prov:wasGeneratedBy  Run ; prov:wasAttributedTo  Generator ;
            prov:wasDerivedFrom  Chunk (qualified: kgrag:quote, kgrag:charStart/End)
    Run     a prov:Activity prov:startedAtTime ; prov:used  Chunk ... ;
            prov:wasAssociatedWith  Principal, Generator, Embedder, spaCy model
    Chunk   a prov:Entity   prov:wasDerivedFrom  DocumentVersion
    DocumentVersion a prov:Entity  kgrag:uri, kgrag:version, kgrag:sha256 ;
            prov:specializationOf  Document

Identifiers live under ``https://kgrag.dev/id/``; kgrag's own properties under
``https://kgrag.dev/ns#``.  A redacted chunk is exported as a bare entity with
``kgrag:restricted true``: its id only, no text, quote or document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV

from ontology.errors import InvalidInputError

ID = Namespace("https://kgrag.dev/id/")
KGRAG = Namespace("https://kgrag.dev/ns#")
FORMATS = {"turtle": "turtle", "json-ld": "json-ld"}
_CONTEXT = {"prov": str(PROV), "kgrag": str(KGRAG), "rdfs": str(RDFS), "xsd": str(XSD),
            "kgid": str(ID)}


def prov_export(audit: Mapping[str, Any], fmt: str) -> str:
    """Serialize the audit record as PROV-O; ``fmt`` is ``"turtle"`` or ``"json-ld"``."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown PROV format {fmt!r}; use one of {sorted(FORMATS)}")
    g = prov_graph(audit)
    if fmt == "json-ld":
        return g.serialize(format="json-ld", context=_CONTEXT, indent=2)
    return g.serialize(format="turtle")


def prov_graph(audit: Mapping[str, Any]) -> Graph:
    """The audit record as an rdflib Graph of PROV-O statements."""
    g = Graph()
    g.bind("prov", PROV)
    g.bind("kgrag", KGRAG)
    g.bind("kgid", ID)
    query = audit.get("query") or {}
    versions = audit.get("versions") or {}
    run = _iri("run", str(audit.get("id") or query.get("id")))
    g.add((run, RDF.type, PROV.Activity))
    g.add((run, RDFS.label, Literal(f"question run {query.get('id', '')}")))
    if query.get("text"):
        g.add((run, KGRAG.question, Literal(query["text"])))
    if query.get("at"):
        g.add((run, PROV.startedAtTime, Literal(query["at"], datatype=XSD.dateTime)))
    if query.get("mode"):
        g.add((run, KGRAG.mode, Literal(query["mode"])))
    if query.get("principal"):
        person = _iri("principal", str(query["principal"]))
        for cls in (PROV.Agent, PROV.Person):
            g.add((person, RDF.type, cls))
        g.add((person, RDFS.label, Literal(query["principal"])))
        g.add((run, PROV.wasAssociatedWith, person))
    agents = _software_agents(g, versions)
    for agent in agents.values():
        g.add((run, PROV.wasAssociatedWith, agent))
    for key in ("embedding_index", "ontology_version", "prompt_version"):
        if versions.get(key):
            g.add((run, KGRAG[_camel(key)], Literal(versions[key])))
    chunks = {c["chunk_id"]: _chunk(g, c) for c in audit.get("chunks") or []}
    for c in audit.get("citations") or []:
        chunks.setdefault(c["chunk_id"], _chunk(g, {"restricted": c.get("restricted"),
                                                    "chunk_id": c["chunk_id"]}))
    for node in chunks.values():
        g.add((run, PROV.used, node))
    answer = audit.get("answer")
    if answer:
        node = _answer(g, answer, run, agents.get("model") or agents.get("generator"),
                       query.get("principal"))
        _citations(g, node, audit.get("citations") or [])
    return g


def _answer(g: Graph, answer: Mapping[str, Any], run: URIRef, generator: URIRef | None,
            principal: str | None) -> URIRef:
    node = _iri("answer", str(answer["id"]))
    g.add((node, RDF.type, PROV.Entity))
    g.add((node, RDF.type, KGRAG.Answer))
    g.add((node, PROV.wasGeneratedBy, run))
    if answer.get("text") is not None:
        g.add((node, PROV.value, Literal(answer["text"])))
    for key in ("verdict", "reason", "confidence"):
        if answer.get(key) is not None:
            g.add((node, KGRAG[key], Literal(answer[key])))
    if generator is not None:
        g.add((node, PROV.wasAttributedTo, generator))
    if principal:
        g.add((node, PROV.wasAttributedTo, _iri("principal", principal)))
    return node


def _software_agents(g: Graph, versions: Mapping[str, Any]) -> dict[str, URIRef]:
    agents: dict[str, URIRef] = {}
    for key in ("generator", "model", "embedding_model", "spacy_model"):
        name = versions.get(key)
        if not name:
            continue
        agent = _iri("software", f"{key}/{name}")
        g.add((agent, RDF.type, PROV.Agent))
        g.add((agent, RDF.type, PROV.SoftwareAgent))
        g.add((agent, RDFS.label, Literal(str(name))))
        g.add((agent, KGRAG.role, Literal(key)))
        agents[key] = agent
    if "model" in agents and "generator" in agents:
        g.add((agents["model"], PROV.actedOnBehalfOf, agents["generator"]))
    return agents


def _chunk(g: Graph, c: Mapping[str, Any]) -> URIRef:
    node = _iri("chunk", str(c["chunk_id"]))
    g.add((node, RDF.type, PROV.Entity))
    g.add((node, RDF.type, KGRAG.Chunk))
    if c.get("restricted"):
        g.add((node, KGRAG.restricted, Literal(True)))
        return node
    for key in ("rank", "score"):
        if c.get(key) is not None:
            g.add((node, KGRAG[key], Literal(c[key])))
    if c.get("doc_id") and c.get("version") is not None:
        g.add((node, PROV.wasDerivedFrom, _document_version(g, c)))
    return node


def _document_version(g: Graph, c: Mapping[str, Any]) -> URIRef:
    doc = _iri("document", str(c["doc_id"]))
    node = _iri("document", f"{c['doc_id']}/v{c['version']}")
    g.add((doc, RDF.type, PROV.Entity))
    g.add((node, RDF.type, PROV.Entity))
    g.add((node, PROV.specializationOf, doc))
    g.add((node, KGRAG.version, Literal(int(c["version"]))))
    if c.get("sha256"):
        g.add((node, KGRAG.sha256, Literal(c["sha256"])))
    if c.get("uri"):
        g.add((node, KGRAG.uri, Literal(c["uri"], datatype=XSD.anyURI)))
    if c.get("title"):
        g.add((node, RDFS.label, Literal(c["title"])))
    return node


def _citations(g: Graph, answer: URIRef, citations: Iterable[Mapping[str, Any]]) -> None:
    """Each citation: prov:wasDerivedFrom the chunk, qualified with the exact span."""
    for i, c in enumerate(citations, start=1):
        chunk = _iri("chunk", str(c["chunk_id"]))
        g.add((answer, PROV.wasDerivedFrom, chunk))
        if c.get("restricted"):
            continue
        derivation = URIRef(f"{answer}/citation/{i}")
        g.add((answer, PROV.qualifiedDerivation, derivation))
        g.add((derivation, RDF.type, PROV.Derivation))
        g.add((derivation, PROV.entity, chunk))
        for key, prop in (("source", KGRAG.source), ("char_start", KGRAG.charStart),
                          ("char_end", KGRAG.charEnd), ("quote", KGRAG.quote)):
            if c.get(key) is not None:
                g.add((derivation, prop, Literal(c[key])))


def _iri(kind: str, ident: str) -> URIRef:
    return ID[f"{kind}/{quote(ident, safe=':@-._~/')}"]


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w.title() for w in rest)
