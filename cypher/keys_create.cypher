// A new API key: only its salted hash is stored, never the key itself.
CREATE (k:ApiKey {id: $id, hash: $hash, salt: $salt, principal: $principal,
                  roles: $roles, groups: $groups, created_at: datetime(), revoked: false})
RETURN k.id AS id
