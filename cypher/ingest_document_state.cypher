// Current sha256 and version of documents about to be ingested (skip unchanged ones).
UNWIND $ids AS id
MATCH (d:Document {id: id})
RETURN d.id AS id, d.sha256 AS sha256, d.version AS version
