// Create or update documents; version counts content changes.
UNWIND $docs AS doc
MERGE (d:Document {id: doc.id})
SET d.uri = doc.uri, d.title = doc.title, d.sha256 = doc.sha256, d.acl = doc.acl,
    d.version = coalesce(d.version, 0) + 1, d.ingested_at = datetime(),
    d.char_count = doc.char_count
WITH d
MATCH (r:IngestionRun {id: $run_id})
MERGE (r)-[:PRODUCED]->(d)
RETURN d.id AS id, d.version AS version
