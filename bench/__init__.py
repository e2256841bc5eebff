"""Benchmarks for kgrag: each script prints figures and writes a JSON report."""
