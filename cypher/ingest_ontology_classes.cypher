UNWIND $rows AS row
MERGE (c:OntologyClass {iri: row.iri})
SET c.label = row.label, c.name = row.name
