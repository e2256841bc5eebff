// Existing entities that own any of the given normalised keys.
MATCH (e:Entity)
WHERE any(k IN e.keys WHERE k IN $keys)
RETURN e.id AS id, e.keys AS keys, e.type AS type, e.name AS name
