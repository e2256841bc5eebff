// Whether the graph holds any entity (then near-duplicate linking asks the vector index).
MATCH (e:Entity)
RETURN e.id AS id
LIMIT 1
