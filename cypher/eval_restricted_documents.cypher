// Documents the evaluating principal may not read (to prove none is ever returned).
MATCH (d:Document) WHERE NOT any(g IN d.acl WHERE g IN $groups)
RETURN d.id AS id
