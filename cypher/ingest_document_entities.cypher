// Entities the current version of a document mentions (candidates for orphan clean-up).
MATCH (:Document {id: $doc_id})-[:HAS_CHUNK]->(:Chunk)-[:MENTIONS]->(e:Entity)
RETURN collect(DISTINCT e.id) AS ids
