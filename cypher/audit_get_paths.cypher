// The provenance paths under a Query and its Answer, steps in order.
MATCH (q:Query {id: $id})
CALL (q) {
  MATCH (q)-[:HAS_PATH]->(p:ProvenancePath)
  RETURN p, false AS on_answer
  UNION
  MATCH (q)-[:ANSWERED_BY]->(:Answer)-[:HAS_PATH]->(p:ProvenancePath)
  RETURN p, true AS on_answer
}
OPTIONAL MATCH (p)-[h:HAS_STEP]->(s:PathStep)
WITH p, on_answer, s ORDER BY h.step
RETURN p {.*} AS path, on_answer, collect(s {.*}) AS steps
ORDER BY path.seq
