"""Bearer API keys: principals, roles and ACL groups.

A key reads ``kg_<id>_<secret>``.  The graph keeps ``(:ApiKey {id, hash, salt,
principal, roles, groups, created_at, revoked})`` where ``hash`` is
``sha256(salt || key)``: the key itself is shown once, at creation, and never
stored.  A request's key is found by its id, then its hash compared in constant
time.  Roles nest: ``admin`` can do what ``ingester`` can, which can do what
``reader`` can.  Groups drive document ACLs; ``public`` is always implied.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import current_app, g, request

from graph.ports import GraphStore
from ontology.errors import AuthError, ForbiddenError, InvalidInputError

ROLES = ("reader", "ingester", "admin")  # each includes the ones before it
KEY_PREFIX = "kg_"
_KEY_RE = re.compile(r"^kg_([0-9a-f]{16})_([A-Za-z0-9_-]{32,128})$")
_GROUP_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's id, the principal's name, roles and groups."""

    key_id: str
    name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]

    @property
    def acl_groups(self) -> tuple[str, ...]:
        """The groups whose documents this principal may read (``public`` first)."""
        return tuple(dict.fromkeys(("public", *self.groups)))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, role: str) -> bool:
        """True when one of the principal's roles is ``role`` or above it."""
        need = ROLES.index(role)
        return any(r in ROLES and ROLES.index(r) >= need for r in self.roles)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    key: str  # shown once


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    principal: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    created_at: str
    revoked: bool


def hash_key(key: str, salt: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + key.encode("utf-8")).hexdigest()


def parse_list(value: str | Sequence[str]) -> tuple[str, ...]:
    """``"a, b"`` or ``["a", "b"]`` -> ``("a", "b")``; empty items and duplicates dropped."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(i.strip() for i in items if i.strip()))


def create_key(store: GraphStore, *, principal: str, roles: Sequence[str],
               groups: Sequence[str] = ()) -> IssuedKey:
    """Store a new key for ``principal`` and return it (the only time it is visible)."""
    principal = principal.strip()
    if not principal or len(principal) > 200 or _CONTROL_RE.search(principal):
        raise InvalidInputError("the principal name must be 1-200 printable characters")
    roles, groups = parse_list(roles), parse_list(groups)
    if not roles or any(r not in ROLES for r in roles):
        raise InvalidInputError(f"roles must be some of {', '.join(ROLES)}; got {list(roles)}")
    bad = [grp for grp in groups if not _GROUP_RE.match(grp)]
    if bad:
        raise InvalidInputError(f"invalid group name {bad[0]!r} (allowed: A-Z a-z 0-9 _ . : -)")
    key_id, salt = secrets.token_hex(8), secrets.token_hex(16)
    key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    store.write([("keys_create", {
        "id": key_id, "hash": hash_key(key, salt), "salt": salt, "principal": principal,
        "roles": list(roles), "groups": list(groups)})])
    return IssuedKey(key_id=key_id, key=key)


def revoke_key(store: GraphStore, key_id: str) -> bool:
    """Mark a key revoked (it stays listed); False if there is no such key."""
    return bool(store.write([("keys_revoke", {"id": key_id})])[0])


def list_keys(store: GraphStore) -> list[KeyInfo]:
    return [KeyInfo(r["id"], r["principal"], tuple(r["roles"] or ()), tuple(r["groups"] or ()),
                    r["created_at"] or "", bool(r["revoked"]))
            for r in store.read("keys_list")]


def authenticate(store: GraphStore, authorization: str | None) -> Principal:
    """The principal of an ``Authorization: Bearer kg_...`` header, or AuthError."""
    if not authorization:
        raise AuthError("an API key is required: send 'Authorization: Bearer kg_...'")
    scheme, _, key = authorization.strip().partition(" ")
    match = _KEY_RE.match(key.strip()) if scheme.lower() == "bearer" else None
    if match is None:
        raise AuthError("the Authorization header is not 'Bearer kg_<id>_<secret>'",
                        invalid=True)
    key = key.strip()
    rows = store.read("keys_lookup", {"id": match.group(1)})
    row = rows[0] if rows else None
    # Compare a hash either way, so a wrong id takes as long as a wrong secret.
    salt = row["salt"] if row else "00" * 16
    stored = row["hash"] if row else ""
    ok = hmac.compare_digest(hash_key(key, salt), stored)
    if row is None or not ok or row["revoked"]:
        raise AuthError("the API key is unknown or revoked", invalid=True)
    return Principal(key_id=match.group(1), name=row["principal"],
                     roles=tuple(row["roles"] or ()), groups=tuple(row["groups"] or ()))


# -- Flask --------------------------------------------------------------------------------


def authorize(principal: Principal, role: str) -> None:
    if not principal.has_role(role):
        raise ForbiddenError(f"this needs the {role!r} role; the key has "
                             f"{', '.join(principal.roles) or 'none'}")


def require(role: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """View decorator: authenticate the bearer key and require ``role`` (or above).

    Put it directly under the route decorator, so the key is checked before the
    body is read or validated.  It also documents the operation's security.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            authorize(login(), role)
            return view(*args, **kwargs)

        apidoc: dict[str, Any] = dict(getattr(view, "_apidoc", {}))
        manual = dict(apidoc.get("manual_doc", {}))
        manual["security"] = [{"bearerAuth": []}]
        apidoc["manual_doc"] = manual
        wrapper._apidoc = apidoc  # type: ignore[attr-defined]
        wrapper._kgrag_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorator


def login() -> Principal:
    """Authenticate this request's key once; the principal is kept on ``flask.g``."""
    found: Principal | None = g.get("principal")
    if found is None:
        store = current_app.extensions["kgrag"].store
        found = authenticate(store, request.headers.get("Authorization"))
        g.principal = found
    return found


def current_principal() -> Principal:
    """The authenticated principal of this request (``require`` ran before)."""
    found: Principal | None = g.get("principal")
    if found is None:
        raise AuthError("not authenticated")
    return found
