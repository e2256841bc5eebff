CREATE (r:IngestionRun {id: $id, started_at: datetime(), pipeline_version: $pipeline_version,
  embedding_model: $embedding_model,
  embedding_precision: $embedding_precision, spacy_model: $spacy_model,
  ontology_version: $ontology_version})
RETURN r.id AS id
