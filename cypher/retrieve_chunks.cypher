// The chunks to show, with their document version; ACL checked once more.
// One row: its chunks as [id, text, char_start, char_end, doc_id, uri, title,
// version, sha256] (lists, not maps: the driver decodes every key of every map).
UNWIND $ids AS id
MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk {id: id})
WHERE any(g IN c.acl WHERE g IN $groups)
RETURN collect([c.id, c.text, c.char_start, c.char_end, d.id, d.uri, d.title, d.version,
                d.sha256]) AS chunks
