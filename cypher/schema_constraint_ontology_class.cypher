CREATE CONSTRAINT ontology_class_iri IF NOT EXISTS FOR (n:OntologyClass) REQUIRE n.iri IS UNIQUE
