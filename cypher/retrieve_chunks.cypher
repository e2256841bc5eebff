// The chunks to show, with their document version; ACL checked once more.
UNWIND $ids AS id
MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk {id: id})
WHERE any(g IN c.acl WHERE g IN $groups)
RETURN c.id AS id, c.text AS text, c.seq AS seq, c.char_start AS char_start,
       c.char_end AS char_end, d.id AS doc_id, d.uri AS uri, d.title AS title,
       d.version AS version, d.sha256 AS sha256
