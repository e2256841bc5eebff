"""Unit tests for the ontology package: loading, allow-lists, lemmas, ruler patterns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ontology import Individual, Ontology, OntologyClass, OntologyRelation, load_ontology
from ontology.errors import OntologyError
from ontology.tokens import tokenize

SAFE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

PREFIXES = """\
@prefix kg:   <https://kgrag.dev/ontology#> .
@prefix ex:   <https://example.org/onto#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


@pytest.fixture(scope="module")
def onto() -> Ontology:
    return load_ontology()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ loading


def test_default_loads(onto: Ontology) -> None:
    assert onto.iri == "https://kgrag.dev/ontology"
    assert re.fullmatch(r"1\.0\.0\+[0-9a-f]{8}", onto.version)
    names = {c.name for c in onto.classes}
    assert {
        "Thing",
        "Organization",
        "Person",
        "Location",
        "Regulation",
        "Policy",
        "Control",
        "System",
        "Product",
        "Event",
        "Incident",
        "Date",
        "Money",
        "Identifier",
    } <= names
    assert all(isinstance(c, OntologyClass) for c in onto.classes)
    assert all(isinstance(r, OntologyRelation) for r in onto.relations)
    assert all(isinstance(i, Individual) for i in onto.individuals)


def test_version_is_stable(onto: Ontology) -> None:
    assert load_ontology().version == onto.version


def test_class_labels_and_hierarchy(onto: Ontology) -> None:
    org = onto.class_for("Organization")
    assert org.iri == "https://kgrag.dev/ontology#Organization"
    assert org.label == "Organization"
    assert "company" in org.alt_labels
    assert onto.parents("Incident") == ("Event", "Thing")
    assert onto.parents("Thing") == ()
    with pytest.raises(OntologyError):
        onto.class_for("Nope")


def test_ner_label_map(onto: Ontology) -> None:
    m = onto.ner_label_map
    assert m["ORG"] == "Organization"
    assert m["PERSON"] == "Person"
    assert m["GPE"] == m["LOC"] == m["FAC"] == "Location"
    assert m["LAW"] == "Regulation"
    assert (m["PRODUCT"], m["DATE"], m["MONEY"], m["EVENT"]) == (
        "Product", "Date", "Money", "Event",
    )  # fmt: skip
    assert "NORP" not in m
    assert set(m.values()) <= {c.name for c in onto.classes}


# -------------------------------------------------------------- allow-lists


def test_allow_lists(onto: Ontology) -> None:
    assert {"Organization", "Incident", "Document", "Chunk", "Entity", "PathStep"} <= onto.labels
    assert {"OWNS", "SUBJECT_TO", "RELATED_TO", "MENTIONS", "HAS_CHUNK"} <= (
        onto.relationship_types
    )
    assert "RELATED_TO" in onto.entity_relation_types
    assert "MENTIONS" not in onto.entity_relation_types
    assert onto.entity_relation_types <= onto.relationship_types
    for name in onto.labels | onto.relationship_types:
        assert SAFE.fullmatch(name), name


def test_check_label_and_type(onto: Ontology) -> None:
    assert onto.check_label("Person") == "Person"
    assert onto.check_relationship_type("OWNS") == "OWNS"
    for bad in ("Nope", "Person`) DETACH DELETE n //", ""):
        with pytest.raises(OntologyError):
            onto.check_label(bad)
        with pytest.raises(OntologyError):
            onto.check_relationship_type(bad)


def test_neo4j_rows(onto: Ontology) -> None:
    classes, edges = onto.neo4j_rows()
    kg = "https://kgrag.dev/ontology#"
    assert {"iri": kg + "Incident", "label": "Incident", "name": "Incident"} in classes
    assert {"child": kg + "Incident", "parent": kg + "Event"} in edges
    iris = {row["iri"] for row in classes}
    assert all(e["child"] in iris and e["parent"] in iris for e in edges)


# ------------------------------------------------------------------- lemmas


@pytest.mark.parametrize(
    ("lemma", "expected"),
    [
        ("own", ("OWNS", False)),
        ("comply with", ("SUBJECT_TO", False)),
        ("  Comply   WITH ", ("SUBJECT_TO", False)),
        ("govern", ("SUBJECT_TO", True)),
        ("locate in", ("LOCATED_IN", False)),
        ("employ", ("EMPLOYS", False)),
        ("work for", ("EMPLOYS", True)),
        ("issue", ("ISSUED_BY", True)),
        ("audit", ("AUDITED_BY", True)),
        ("supply", ("SUPPLIES", False)),
        ("part of", ("PART_OF", False)),
        ("frobnicate", None),
    ],
)
def test_relation_for_lemma(onto: Ontology, lemma: str, expected: tuple[str, bool] | None) -> None:
    assert onto.relation_for_lemma(lemma) == expected


def test_lemmas_are_normalised(onto: Ontology) -> None:
    for rel in onto.relations:
        for phrase in (*rel.lemmas, *rel.inverse_lemmas):
            assert phrase == " ".join(phrase.lower().split())


# ------------------------------------------------------------ ruler patterns


def test_ruler_patterns(onto: Ontology) -> None:
    patterns = onto.ruler_patterns()
    iso = [{"LOWER": "iso"}, {"LOWER": "27001"}]
    assert {"label": "Standard", "pattern": iso, "id": "ISO 27001"} in patterns
    sox = [{"LOWER": t} for t in ("sarbanes", "-", "oxley", "act")]
    assert {"label": "Regulation", "pattern": sox, "id": "Sarbanes-Oxley Act"} in patterns
    dora = {"label": "Regulation", "pattern": [{"LOWER": "dora"}],
            "id": "Digital Operational Resilience Act"}  # fmt: skip
    assert dora in patterns
    # Class labels are generic words and must not become patterns.
    assert not any(p["pattern"] == [{"LOWER": "policy"}] for p in patterns)
    assert len({json.dumps(p, sort_keys=True) for p in patterns}) == len(patterns)


def test_ruler_patterns_custom_tokenizer(onto: Ontology) -> None:
    patterns = onto.ruler_patterns(tokenizer=str.split)
    sox = [{"LOWER": "sarbanes-oxley"}, {"LOWER": "act"}]
    assert any(p["pattern"] == sox for p in patterns)


def test_tokenizer_agrees_with_spacy(onto: Ontology) -> None:
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    surfaces = [s for i in onto.individuals for s in (i.label, *i.alt_labels)]
    surfaces += ["ISO/IEC 27001:2022", "Dodd-Frank Act", "INC-2350", "Bank's", "(ECB)", "AT&T"]
    for surface in surfaces:
        assert tokenize(surface) == [t.text for t in nlp.tokenizer(surface)], surface


# ----------------------------------------------------------- user ontologies

USER_TTL = (
    PREFIXES
    + """
ex:Bank a owl:Class ; rdfs:subClassOf kg:Organization ;
    skos:prefLabel "Bank"@en ; skos:altLabel "lender"@en ; kg:nerLabel "NORP" .
ex:LENDS_TO a owl:ObjectProperty ; skos:prefLabel "lends to"@en ;
    rdfs:domain ex:Bank ; kg:lemma "lend to" ; kg:inverseLemma "borrow from" .
ex:AcmeBank a owl:NamedIndividual, ex:Bank ; skos:prefLabel "Acme Bank"@en .
"""
)


def test_user_turtle_extends(onto: Ontology, tmp_path: Path) -> None:
    merged = load_ontology([write(tmp_path, "bank.ttl", USER_TTL)])
    assert merged.version != onto.version
    assert merged.version.startswith("1.0.0+")
    assert "Bank" in merged.labels and "LENDS_TO" in merged.entity_relation_types
    assert merged.parents("Bank") == ("Organization", "Thing")
    assert merged.relation_for_lemma("borrow from") == ("LENDS_TO", True)
    assert merged.ner_label_map["NORP"] == "Bank"
    rel = next(r for r in merged.relations if r.name == "LENDS_TO")
    assert rel.domain == "Bank" and rel.range is None
    acme = {"label": "Bank", "pattern": [{"LOWER": "acme"}, {"LOWER": "bank"}], "id": "Acme Bank"}
    assert acme in merged.ruler_patterns()
    assert "Bank" not in onto.labels  # nothing leaks between loads


def test_user_jsonld_extends(tmp_path: Path) -> None:
    doc = {
        "@context": {
            "kg": "https://kgrag.dev/ontology#",
            "owl": "http://www.w3.org/2002/07/owl#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "skos": "http://www.w3.org/2004/02/skos/core#",
        },
        "@graph": [
            {"@id": "kg:Contract", "@type": "owl:Class",
             "rdfs:subClassOf": {"@id": "kg:Thing"}, "skos:prefLabel": "Contract"},
            {"@id": "kg:SIGNED", "@type": "owl:ObjectProperty",
             "kg:lemma": ["sign", "enter into"], "kg:inverseLemma": "sign by"},
        ],
    }  # fmt: skip
    merged = load_ontology([write(tmp_path, "extra.jsonld", json.dumps(doc))])
    assert "Contract" in merged.labels
    assert merged.relation_for_lemma("enter into") == ("SIGNED", False)
    assert merged.relation_for_lemma("sign by") == ("SIGNED", True)


def test_user_rdfxml_extends(tmp_path: Path) -> None:
    xml = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:owl="http://www.w3.org/2002/07/owl#">
  <owl:Class rdf:about="https://example.org/onto#Branch"/>
</rdf:RDF>
"""
    assert "Branch" in load_ontology([write(tmp_path, "x.owl", xml)]).labels


# ------------------------------------------------------------------- errors


def test_bad_turtle_names_file_and_line(tmp_path: Path) -> None:
    text = PREFIXES + '\nex:A a owl:Class ;\n    skos:prefLabel "A"@en\nex:B a owl:Class .\n'
    bad = write(tmp_path, "bad.ttl", text)
    with pytest.raises(OntologyError) as info:
        load_ontology([bad])
    message = str(info.value)
    assert message.startswith("bad.ttl line 9:"), message
    assert info.value.extra["line"] == 9


def test_bad_jsonld_and_rdfxml(tmp_path: Path) -> None:
    with pytest.raises(OntologyError, match=r"broken\.json line 2"):
        load_ontology([write(tmp_path, "broken.json", '{\n  "@id": ,\n}\n')])
    with pytest.raises(OntologyError, match=r"broken\.rdf line \d+"):
        load_ontology([write(tmp_path, "broken.rdf", "<rdf:RDF>\n<unclosed>\n")])


def test_missing_and_unsupported_files(tmp_path: Path) -> None:
    with pytest.raises(OntologyError, match=r"missing\.ttl"):
        load_ontology([tmp_path / "missing.ttl"])
    with pytest.raises(OntologyError, match="unsupported"):
        load_ontology([write(tmp_path, "onto.yaml", "a: b")])


@pytest.mark.parametrize(
    "iri",
    [
        "https://example.org/onto#FOO-BAR",
        "https://example.org/onto#X%60)%20DETACH%20DELETE",
        "https://example.org/onto#1ST",
        "https://example.org/onto#",
    ],
)
def test_unsafe_relation_names_rejected(tmp_path: Path, iri: str) -> None:
    text = PREFIXES + f"<{iri}> a owl:ObjectProperty .\n"
    with pytest.raises(OntologyError, match="not a valid Neo4j identifier"):
        load_ontology([write(tmp_path, "evil.ttl", text)])


def test_unsafe_raw_names_rejected(tmp_path: Path) -> None:
    # rdflib's Turtle parser lets a backtick and spaces through inside <...>.
    for node_type in ("owl:ObjectProperty", "owl:Class"):
        text = PREFIXES + f"<https://example.org/onto#X`) DETACH DELETE> a {node_type} .\n"
        with pytest.raises(OntologyError, match="not a valid Neo4j identifier"):
            load_ontology([write(tmp_path, "evil.ttl", text)])


def test_unsafe_names_rejected_by_constructor(onto: Ontology) -> None:
    evil = OntologyRelation(iri="urn:x", name="X`) DETACH DELETE n //", label="x")
    with pytest.raises(OntologyError, match="not a valid Neo4j identifier"):
        Ontology(iri="urn:o", version="0", classes=onto.classes, relations=(evil,))
    with pytest.raises(OntologyError, match="not a valid Neo4j identifier"):
        Ontology(iri="urn:o", version="0", classes=(OntologyClass("urn:c", "A-B", "A"),),
                 relations=())  # fmt: skip


def test_structural_clash_and_lemma_conflict(tmp_path: Path) -> None:
    with pytest.raises(OntologyError, match="structural"):
        load_ontology([write(tmp_path, "a.ttl", PREFIXES + "ex:Chunk a owl:Class .\n")])
    with pytest.raises(OntologyError, match="structural"):
        load_ontology([write(tmp_path, "b.ttl", PREFIXES + "ex:MENTIONS a owl:ObjectProperty .\n")])
    conflict = PREFIXES + 'ex:HAS a owl:ObjectProperty ; kg:lemma "own" .\n'
    with pytest.raises(OntologyError, match="'own' is claimed by both"):
        load_ontology([write(tmp_path, "c.ttl", conflict)])
