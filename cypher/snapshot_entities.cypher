// Every entity's id, name, type and normalised keys (graph/retrieve/snapshot.py).
MATCH (e:Entity)
RETURN e.id AS id, e.name AS name, e.type AS type, e.keys AS keys
