// $name carries the embedding model (e.g. chunk_embedding_all_minilm_l6_v2), so two
// models' indexes can coexist while one is rebuilt; $dim is the model's dimension.
CREATE VECTOR INDEX $name IF NOT EXISTS FOR (c:Chunk) ON c.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine'}}
