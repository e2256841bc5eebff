"""Every query name used in code exists, and every file in cypher/ is used."""

from __future__ import annotations

import re
from pathlib import Path

from graph.cypher import all_names
from graph.schema import APPLIED_BY_PREFIX

ROOT = Path(__file__).resolve().parents[2]
CODE = [p for pkg in ("graph", "service", "ontology") for p in (ROOT / pkg).rglob("*.py")]
QUOTED = re.compile(r"""["']([a-z][a-z0-9_]+)["']""")
# store.read("name", ...), store.run_auto("name", ...), and ("name", {...}) write steps
CALL = re.compile(r"""(?:\.read\(|\.run_auto\(|\(\s*)["']([a-z][a-z0-9_]+)["']\s*,\s*[{\w]""")
PREFIXES = ("schema_", "ingest_", "retrieve_", "audit_", "browser_", "admin_", "delete_",
            "embeddings_", "keys_", "feedback_", "entity_", "document_")


def _quoted_names() -> set[str]:
    return {m for p in CODE for m in QUOTED.findall(p.read_text())}


def test_every_cypher_file_is_used() -> None:
    quoted = _quoted_names()
    unused = [n for n in all_names()
              if n not in quoted and not n.startswith(APPLIED_BY_PREFIX)
              and not n.startswith("browser_")]  # browser_* are saved queries for people
    assert unused == []


def test_every_name_used_in_code_exists() -> None:
    names = set(all_names())
    used = {m for p in CODE for m in CALL.findall(p.read_text()) if m.startswith(PREFIXES)}
    assert len(used) > 20  # the pattern does find the calls
    assert sorted(used - names) == []


def test_query_text_is_never_formatted_in_code() -> None:
    formatted = re.compile(r"query\([^)]*\)\s*(\.format\(|%|\+)")
    offenders = [str(p) for p in CODE if formatted.search(p.read_text())]
    assert offenders == []
