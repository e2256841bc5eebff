MATCH (k:ApiKey {id: $id})
SET k.revoked = true, k.revoked_at = coalesce(k.revoked_at, datetime())
RETURN k.id AS id
