// Everything derived from the documents' chunks: relation evidence, mentions,
// co-mention counts, the chunks. Returns the entities that may now be orphans.
// Every relation evidenced by a chunk joins two entities that chunk mentions,
// so only the touched entities' relationships are scanned.
UNWIND $doc_ids AS doc_id
OPTIONAL MATCH (:Document {id: doc_id})-[:HAS_CHUNK]->(c:Chunk)
WITH collect(c) AS chunks, collect(c.id) AS chunk_ids
CALL (chunks) {
  UNWIND chunks AS c
  MATCH (c)-[:MENTIONS]->(e:Entity)
  RETURN collect(DISTINCT e) AS touched
}
CALL (touched, chunk_ids) {
  UNWIND touched AS e
  MATCH (e)-[r]->(:Entity)
  WHERE r.chunk_id IN chunk_ids
  DELETE r
}
CALL (touched, chunk_ids) {
  UNWIND touched AS e
  MATCH (e)-[r:CO_MENTIONED]->(:Entity)
  WITH r, [id IN r.chunk_ids WHERE NOT id IN chunk_ids] AS kept
  WHERE size(kept) < size(r.chunk_ids)
  FOREACH (_ IN CASE WHEN size(kept) = 0 THEN [1] ELSE [] END | DELETE r)
  FOREACH (_ IN CASE WHEN size(kept) > 0 THEN [1] ELSE [] END |
    SET r.chunk_ids = kept, r.count = size(kept))
}
FOREACH (c IN chunks | DETACH DELETE c)
RETURN [e IN touched | e.id] AS touched
