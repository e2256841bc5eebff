// Entities are shared across documents: MERGE, grow aliases/keys; the type is
// kept unless it was the generic Thing and a typed mention now says more.
// row.vectors is {embedding_<space>: vector} per space written (empty for a known entity).
UNWIND $rows AS row
MERGE (e:Entity {id: row.id})
ON CREATE SET e.name = row.name, e.type = row.type, e.aliases = [], e.keys = [],
              e.embedding_model = $embedding_model,
              e.created_at = datetime(), e += row.vectors
SET e.aliases = e.aliases + [a IN row.aliases WHERE NOT a IN e.aliases AND a <> e.name],
    e.keys = e.keys + [k IN row.keys WHERE NOT k IN e.keys],
    e.name = CASE WHEN row.rename THEN row.name ELSE e.name END,
    e.type = CASE WHEN e.type = 'Thing' THEN row.type ELSE e.type END
SET e:$(e.type)
WITH e
FOREACH (_ IN CASE WHEN e.type <> 'Thing' THEN [1] ELSE [] END | REMOVE e:Thing)
WITH e
MATCH (oc:OntologyClass {name: e.type})
MERGE (e)-[:INSTANCE_OF]->(oc)
