// Empties the database in batches so a large graph does not need one huge transaction.
MATCH (n) WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS deleted
