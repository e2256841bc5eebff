CREATE CONSTRAINT embedding_space_id IF NOT EXISTS FOR (n:EmbeddingSpace) REQUIRE n.id IS UNIQUE
