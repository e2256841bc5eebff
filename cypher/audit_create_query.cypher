// The audited question run; $props holds only scalars, lists and JSON strings.
CREATE (q:Query)
SET q = $props, q.at = datetime()
RETURN q.id AS id, toString(q.at) AS at
