"""A multi-hop retrieval benchmark generated from ISO facts bundled with pycountry.

``python -m bench.multihop.generate --out DIR`` writes ``corpus.jsonl`` and
``questions.jsonl``; :func:`bench.multihop.generate.generate` returns the same rows.
"""
