// An answer's full provenance graph, for Neo4j Browser.
//   :param audit_id => "q:..."
// Draws the Query, its Answer, the retrieved and cited chunks with their documents
// and ingestion runs, and every provenance path: ProvenancePath -> PathStep ->
// the Entity, Chunk or Document each step stands for (while it still exists).
MATCH (q:Query {id: $audit_id})
CALL (q) {
  MATCH p = (q)-[:ANSWERED_BY]->(:Answer)
  RETURN p
  UNION
  MATCH p = (q)-[:RETRIEVED]->(:Chunk)<-[:HAS_CHUNK]-(:Document)
  RETURN p
  UNION
  MATCH p = (q)-[r:RETRIEVED]->(:Chunk)<-[:HAS_CHUNK]-(:Document)<-[:PRODUCED]-(run:IngestionRun)
  WHERE run.id = r.run_id
  RETURN p
  UNION
  MATCH p = (q)-[:ANSWERED_BY]->(:Answer)-[:CITES]->(:Chunk)
  RETURN p
  UNION
  MATCH p = (q)-[:ANSWERED_BY*0..1]->()-[:HAS_PATH]->(:ProvenancePath)-[:HAS_STEP]->(:PathStep)
  RETURN p
  UNION
  MATCH p = (q)-[:ANSWERED_BY*0..1]->()-[:HAS_PATH]->(:ProvenancePath)-[:HAS_STEP]->(:PathStep)-[:STEP_OF]->()
  RETURN p
}
RETURN p
