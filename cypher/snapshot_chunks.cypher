// Every chunk with its acl and its vector in $property (graph/retrieve/snapshot.py).
MATCH (c:Chunk)
RETURN c.id AS id, c.acl AS acl, c[$property] AS vector
