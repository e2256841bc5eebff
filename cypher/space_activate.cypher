// Flip the active pointer: the old active space becomes 'ready' (its vectors and
// indexes stay, for rollback) and remembers nothing; the new one records which
// space it replaced. Runs in the transaction that holds space_lock.
MATCH (new:EmbeddingSpace {id: $id})
OPTIONAL MATCH (old:EmbeddingSpace {state: 'active'})
WHERE old.id <> new.id
SET old.state = 'ready', old.deactivated_at = datetime()
SET new.previous = coalesce(old.id, new.previous), new.state = 'active',
    new.activated_at = datetime()
RETURN new.id AS id, old.id AS previous
