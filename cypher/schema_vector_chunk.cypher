// One vector index per embedding space. Neo4j takes no parameters for the property
// of an index, so {property} is filled in by graph.cypher.ddl() from the space id,
// which is checked to be a plain identifier (embedding_[a-z0-9_]+); $name and $dim
// are parameters. Quantization is off: scores are exact cosines, so rankings do not
// flip on near ties between index rebuilds (5.26 turns it on by default).
CREATE VECTOR INDEX $name IF NOT EXISTS FOR (c:Chunk) ON c.{property}
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false}}
