// The stored hash and grants of one key id (the prefix of the presented key).
MATCH (k:ApiKey {id: $id})
RETURN k.hash AS hash, k.salt AS salt, k.principal AS principal, k.roles AS roles,
       k.groups AS groups, k.revoked AS revoked
