// Every typed relation between entities, with its evidence and the acl copied
// from its evidence chunk (graph/retrieve/snapshot.py). $types: the ontology's.
MATCH (a:Entity)-[r]->(b:Entity)
WHERE type(r) IN $types
RETURN a.id AS src, b.id AS dst, type(r) AS type, r.predicate AS predicate,
       r.chunk_id AS chunk_id, r.char_start AS char_start, r.char_end AS char_end,
       r.confidence AS confidence, r.acl AS acl
