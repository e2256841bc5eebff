// Cosine similarity of given chunks to a query vector (readable chunks only).
UNWIND $ids AS id
MATCH (c:Chunk {id: id})
WHERE any(g IN c.acl WHERE g IN $groups)
RETURN c.id AS id, vector.similarity.cosine(c[$property], $embedding) AS sim
