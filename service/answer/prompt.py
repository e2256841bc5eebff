"""The versioned answer prompt.

Templates live in ``service/answer/prompts/<name>.txt`` with a ``=== system ===``
and a ``=== user ===`` part and ``$sources``/``$question`` placeholders.  The
prompt version recorded on every Answer is ``<name>@<sha256 of the file>[:8]``,
so any edit of the wording shows in the audit trail.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from service.answer.types import Source

DEFAULT_TEMPLATE = "answer_v1"
_SYSTEM = "=== system ==="
_USER = "=== user ==="


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """A loaded template: its version and the two message templates."""

    name: str
    version: str  # "answer_v1@1a2b3c4d"
    system: str
    user: str


@lru_cache(maxsize=8)
def load_template(name: str = DEFAULT_TEMPLATE) -> PromptTemplate:
    """Read ``prompts/<name>.txt`` (cached; the files ship with the package)."""
    raw = resources.files("service.answer").joinpath("prompts", f"{name}.txt").read_bytes()
    text = raw.decode("utf-8")
    if _SYSTEM not in text or _USER not in text:
        raise ValueError(f"prompt {name} lacks {_SYSTEM!r} or {_USER!r}")
    system, user = text.split(_USER, 1)
    system = system.split(_SYSTEM, 1)[1]
    version = f"{name}@{hashlib.sha256(raw).hexdigest()[:8]}"
    return PromptTemplate(name, version, system.strip(), user.strip())


def prompt_version(name: str = DEFAULT_TEMPLATE) -> str:
    """The version string recorded on answers built from ``name``."""
    return load_template(name).version


def format_sources(sources: Sequence[Source]) -> str:
    """``[S1] (document ..., uri)`` header and text for each source."""
    blocks = []
    for s in sources:
        where = f"document {s.doc_id}" + (f", {s.uri}" if s.uri else "")
        blocks.append(f"[{s.label}] ({where})\n{s.text.strip()}")
    return "\n\n".join(blocks)


def build_messages(
    question: str, sources: Sequence[Source], *, template: str = DEFAULT_TEMPLATE
) -> list[dict[str, str]]:
    """System + user chat messages for ``question`` over numbered ``sources``."""
    tpl = load_template(template)
    user = string.Template(tpl.user).safe_substitute(
        sources=format_sources(sources) or "(no sources)", question=question.strip()
    )
    return [{"role": "system", "content": tpl.system}, {"role": "user", "content": user}]
