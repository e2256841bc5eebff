// BM25 over chunk text; the standard analyzer lower-cases and drops English stop words.
CREATE FULLTEXT INDEX chunk_text IF NOT EXISTS FOR (c:Chunk) ON EACH [c.text]
