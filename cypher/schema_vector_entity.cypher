// As schema_vector_chunk, for entities.
CREATE VECTOR INDEX $name IF NOT EXISTS FOR (e:Entity) ON e.{property}
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false}}
