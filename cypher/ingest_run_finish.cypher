MATCH (r:IngestionRun {id: $id})
SET r.finished_at = datetime(), r.stats = $stats
RETURN r.id AS id
