// Current state of chunks named by an audit record: text, ACLs, document version
// and the ingestion run that produced that version (the latest run that wrote it).
UNWIND $ids AS id
MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk {id: id})
CALL (d) {
  OPTIONAL MATCH (r:IngestionRun)-[:PRODUCED]->(d)
  RETURN r.id AS run_id ORDER BY r.started_at DESC LIMIT 1
}
RETURN c.id AS id, c.text AS text, c.acl AS acl, c.sha256 AS sha256, d.id AS doc_id,
       d.uri AS uri, d.title AS title, d.version AS version, d.sha256 AS doc_sha256,
       d.acl AS doc_acl, run_id
