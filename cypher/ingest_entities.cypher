// Entities are shared across documents: MERGE, keep the first type, grow aliases/keys.
UNWIND $rows AS row
MERGE (e:Entity {id: row.id})
ON CREATE SET e.name = row.name, e.type = row.type, e.aliases = [], e.keys = [],
              e.embedding = row.embedding, e.embedding_model = $embedding_model,
              e.created_at = datetime()
SET e.aliases = e.aliases + [a IN row.aliases WHERE NOT a IN e.aliases],
    e.keys = e.keys + [k IN row.keys WHERE NOT k IN e.keys],
    e.name = CASE WHEN row.rename THEN row.name ELSE e.name END
SET e:$(e.type)
WITH e
MATCH (oc:OntologyClass {name: e.type})
MERGE (e)-[:INSTANCE_OF]->(oc)
