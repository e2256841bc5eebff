// Every key's grants (never the hash).
MATCH (k:ApiKey)
RETURN k.id AS id, k.principal AS principal, k.roles AS roles, k.groups AS groups,
       toString(k.created_at) AS created_at, k.revoked AS revoked
ORDER BY k.created_at, k.id
