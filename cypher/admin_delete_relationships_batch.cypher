// Relationships first, in batches: a hub entity's thousands of relationships
// would otherwise all go in the one transaction that deletes the hub.
MATCH ()-[r]->() WITH r LIMIT $batch DELETE r RETURN count(*) AS deleted
