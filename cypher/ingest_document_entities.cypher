// Per stored document: the entities its current version mentions (candidates for
// orphan clean-up once its evidence is replaced).
UNWIND $doc_ids AS doc_id
MATCH (:Document {id: doc_id})-[:HAS_CHUNK]->(:Chunk)-[:MENTIONS]->(e:Entity)
RETURN doc_id, collect(DISTINCT e.id) AS ids
