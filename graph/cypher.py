"""Named Cypher queries, one per file in ``cypher/``, loaded by name and cached.

The folder is the repository's top-level ``cypher/`` (editable installs) or
``graph/_cypher`` inside an installed wheel; ``KGRAG_CYPHER_DIR`` overrides.
Queries take ``$param`` placeholders only.  Where a label or relationship type
varies, it is passed as a parameter to Neo4j 5.26's dynamic ``$(...)`` syntax
after the ontology allow-list has checked it -- never formatted into the text.
The one exception is schema DDL, where Neo4j accepts no parameter for an
indexed property: :func:`ddl` fills ``{property}``-style slots, and only with
values that are plain identifiers (an embedding space's vector property).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from ontology.errors import KgragError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")


def cypher_dir() -> Path:
    override = os.environ.get("KGRAG_CYPHER_DIR")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    for candidate in (here / "_cypher", here.parent / "cypher"):
        if candidate.is_dir():
            return candidate
    raise KgragError("the cypher/ query folder is missing from this installation")


@cache
def _load(folder: Path, name: str) -> str:
    if not _NAME.match(name):
        raise KgragError(f"bad query name {name!r}")
    path = folder / f"{name}.cypher"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KgragError(f"no query named {name!r} in {folder}") from None
    # Strip // comment lines so the server's query log stays compact.
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("//")]
    return "\n".join(lines).strip()


def query(name: str) -> str:
    """The text of ``cypher/<name>.cypher``."""
    return _load(cypher_dir(), name)


def all_names() -> list[str]:
    return sorted(p.stem for p in cypher_dir().glob("*.cypher"))


def ddl(name: str, **identifiers: str) -> str:
    """A schema statement with its ``{slot}`` identifiers filled in.

    Only plain identifiers (letters, digits, underscore) are accepted, so no value
    can change the statement's structure; everything else stays a ``$param``.
    """
    text = query(name)
    for slot, value in identifiers.items():
        if not _IDENTIFIER.match(value):
            raise KgragError(f"{value!r} is not a plain identifier for {{{slot}}} in {name}")
        if "{" + slot + "}" not in text:
            raise KgragError(f"query {name} has no {{{slot}}} slot")
        text = text.replace("{" + slot + "}", value)
    return text
