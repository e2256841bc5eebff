// Provenance paths as nodes the audit owns: each step is a PathStep holding a
// snapshot of the step, linked STEP_OF to the live Entity, Chunk or Document while
// that still exists (re-ingestion replaces chunks; the snapshot survives).
OPTIONAL MATCH (q:Query {id: $query_id})
OPTIONAL MATCH (a:Answer {id: $answer_id})
UNWIND $paths AS path
WITH path, CASE WHEN path.on_answer AND a IS NOT NULL THEN a ELSE q END AS owner
CREATE (p:ProvenancePath)
SET p = path.props
CREATE (owner)-[:HAS_PATH]->(p)
WITH p, path
UNWIND path.steps AS row
CREATE (s:PathStep)
SET s = row.props
CREATE (p)-[:HAS_STEP {step: row.step}]->(s)
WITH s, row
CALL (s, row) {
  MATCH (e:Entity {id: row.entity_id})
  CREATE (s)-[:STEP_OF]->(e)
}
CALL (s, row) {
  MATCH (c:Chunk {id: row.chunk_id})
  CREATE (s)-[:STEP_OF]->(c)
}
CALL (s, row) {
  MATCH (d:Document {id: row.doc_id})
  CREATE (s)-[:STEP_OF]->(d)
}
RETURN count(s) AS steps
