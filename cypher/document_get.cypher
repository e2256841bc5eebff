// Documents by id with their counts; $groups = null skips the ACL check (admin
// bookkeeping), otherwise a document the caller may not read is not returned.
UNWIND $ids AS id
MATCH (d:Document {id: id})
WHERE $groups IS NULL OR any(g IN d.acl WHERE g IN $groups)
CALL (d) {
  OPTIONAL MATCH (d)-[:HAS_CHUNK]->(c:Chunk)
  RETURN count(c) AS chunks
}
CALL (d) {
  OPTIONAL MATCH (d)-[:HAS_CHUNK]->(c:Chunk)-[:MENTIONS]->(e:Entity)
  RETURN count(DISTINCT e) AS entities
}
CALL (d) {
  OPTIONAL MATCH (d)-[:HAS_CHUNK]->(c:Chunk)-[:MENTIONS]->(:Entity)-[r]->(:Entity)
  WHERE r.chunk_id = c.id
  RETURN count(DISTINCT r) AS relations
}
RETURN d.id AS id, d.title AS title, d.uri AS uri, d.version AS version,
       d.sha256 AS sha256, d.acl AS acl, toString(d.ingested_at) AS ingested_at,
       chunks, entities, relations
