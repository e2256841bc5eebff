// Node counts by label (db.labels is cheap; counts come from the count store).
CALL db.labels() YIELD label
CALL (label) { MATCH (n) WHERE label IN labels(n) RETURN count(n) AS n }
RETURN label, n ORDER BY label
