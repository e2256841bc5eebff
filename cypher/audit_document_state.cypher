// Current version of documents an audit record depends on (absent = deleted).
UNWIND $ids AS id
MATCH (d:Document {id: id})
CALL (d) {
  OPTIONAL MATCH (r:IngestionRun)-[:PRODUCED]->(d)
  RETURN r.id AS run_id ORDER BY r.started_at DESC LIMIT 1
}
RETURN d.id AS id, d.uri AS uri, d.version AS version, d.sha256 AS sha256,
       toString(d.ingested_at) AS ingested_at, run_id
