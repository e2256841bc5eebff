UNWIND $rows AS row
MATCH (child:OntologyClass {iri: row.child}), (parent:OntologyClass {iri: row.parent})
MERGE (child)-[:SUBCLASS_OF]->(parent)
