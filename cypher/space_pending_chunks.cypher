// The next batch of chunks without a vector in the space, in id order (keyset
// pagination over the id constraint's index), so a resumed build skips finished ones.
MATCH (c:Chunk)
WHERE c.id > $after AND c[$property] IS NULL
RETURN c.id AS id, c.text AS text
ORDER BY c.id
LIMIT $batch
