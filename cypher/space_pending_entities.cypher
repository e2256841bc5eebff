// The next batch of entities without a vector in the space, in id order.
MATCH (e:Entity)
WHERE e.id > $after AND e[$property] IS NULL
RETURN e.id AS id, e.name AS name, e.type AS type, e.aliases AS aliases
ORDER BY e.id
LIMIT $batch
