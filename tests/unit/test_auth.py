"""API keys: hashing, lookup, revocation, roles, and the ``kgrag keys`` commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from click.testing import CliRunner

from ontology.errors import AuthError, InvalidInputError
from service.auth import (
    Principal,
    authenticate,
    create_key,
    hash_key,
    list_keys,
    parse_list,
    revoke_key,
)


class KeyStore:
    """The keys_* queries over a dict (GraphStore protocol, no Neo4j)."""

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, Any]] = {}

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        name = query
        params = params or {}
        if name == "keys_lookup":
            row = self.keys.get(params["id"])
            return [dict(row)] if row else []
        if name == "keys_list":
            return [{k: v for k, v in row.items() if k not in ("hash", "salt")}
                    for row in self.keys.values()]
        return []

    def write(self, steps: Sequence[tuple[str, Mapping[str, Any]]]
              ) -> list[list[dict[str, Any]]]:
        out: list[list[dict[str, Any]]] = []
        for name, params in steps:
            if name == "keys_create":
                self.keys[params["id"]] = {**params, "created_at": "2025-01-01T00:00:00Z",
                                           "revoked": False}
                out.append([{"id": params["id"]}])
            elif name == "keys_revoke" and params["id"] in self.keys:
                self.keys[params["id"]]["revoked"] = True
                out.append([{"id": params["id"]}])
            else:
                out.append([])
        return out

    def close(self) -> None:
        pass


def test_key_is_shown_once_and_only_its_salted_hash_is_stored() -> None:
    store = KeyStore()
    a = create_key(store, principal="ana", roles=["reader"], groups=["finance"])
    b = create_key(store, principal="ana", roles=["reader"])
    assert a.key.startswith(f"kg_{a.key_id}_") and len(a.key) > 50
    row = store.keys[a.key_id]
    assert a.key not in {str(v) for v in row.values()}
    assert row["hash"] == hash_key(a.key, row["salt"]) and len(row["hash"]) == 64
    assert row["salt"] != store.keys[b.key_id]["salt"]


def test_authenticate_finds_the_principal_and_its_groups() -> None:
    store = KeyStore()
    issued = create_key(store, principal="ana", roles=["ingester"], groups=["finance", "ops"])
    who = authenticate(store, f"Bearer {issued.key}")
    assert who == Principal(issued.key_id, "ana", ("ingester",), ("finance", "ops"))
    assert who.acl_groups == ("public", "finance", "ops")
    assert authenticate(store, f"bearer  {issued.key} ").name == "ana"


@pytest.mark.parametrize("header", [None, "", "Basic YWxhZGRpbjpvcGVu", "Bearer", "Bearer kg_x",
                                    "Bearer kg_0123456789abcdef_" + "a" * 43, "kg_abc"])
def test_missing_or_malformed_keys_are_401(header: str | None) -> None:
    store = KeyStore()
    create_key(store, principal="ana", roles=["reader"])
    with pytest.raises(AuthError) as info:
        authenticate(store, header)
    assert info.value.status == 401


def test_wrong_secret_and_revoked_keys_are_refused() -> None:
    store = KeyStore()
    issued = create_key(store, principal="ana", roles=["reader"])
    with pytest.raises(AuthError):
        authenticate(store, f"Bearer {issued.key[:-4]}AAAA")
    assert revoke_key(store, issued.key_id) is True
    with pytest.raises(AuthError):
        authenticate(store, f"Bearer {issued.key}")
    assert revoke_key(store, "0" * 16) is False
    [info] = list_keys(store)
    assert info.revoked and info.principal == "ana" and not hasattr(info, "hash")


def test_roles_nest() -> None:
    admin = Principal("k", "root", ("admin",), ())
    reader = Principal("k", "r", ("reader",), ())
    ingester = Principal("k", "i", ("ingester",), ())
    assert all(admin.has_role(r) for r in ("reader", "ingester", "admin")) and admin.is_admin
    assert ingester.has_role("reader") and not ingester.has_role("admin")
    assert reader.has_role("reader") and not reader.has_role("ingester")


@pytest.mark.parametrize("kwargs", [
    {"principal": "", "roles": ["reader"]},
    {"principal": "a\nb", "roles": ["reader"]},
    {"principal": "ana", "roles": []},
    {"principal": "ana", "roles": ["root"]},
    {"principal": "ana", "roles": ["reader"], "groups": ["fin ance"]},
])
def test_bad_key_requests_are_rejected(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        create_key(KeyStore(), **kwargs)


def test_parse_list() -> None:
    assert parse_list(" a, b,,a ") == ("a", "b")
    assert parse_list(["x", " y "]) == ("x", "y")


class _Svc:
    """Stands in for ``open_services()``: a context manager giving Services."""

    def __init__(self, store: KeyStore) -> None:
        self.store = store

    def __enter__(self) -> _Svc:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def test_keys_cli_create_list_revoke(monkeypatch: pytest.MonkeyPatch) -> None:
    import service.cli_service as cli_service

    store = KeyStore()
    monkeypatch.setattr(cli_service, "open_services", lambda: _Svc(store))
    runner = CliRunner()
    made = runner.invoke(cli_service.keys, ["create", "--principal", "ana", "--roles",
                                            "reader,ingester", "--groups", "finance"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert authenticate(store, f"Bearer {key}").roles == ("reader", "ingester")
    key_id = key.split("_")[1]
    listed = runner.invoke(cli_service.keys, ["list"])
    assert key_id in listed.stdout and "active" in listed.stdout and key not in listed.stdout
    assert runner.invoke(cli_service.keys, ["revoke", key_id]).exit_code == 0
    gone = runner.invoke(cli_service.keys, ["revoke", "0" * 16])
    assert gone.exit_code == 1 and gone.stderr.strip().startswith("kgrag: error:")
    bad = runner.invoke(cli_service.keys, ["create", "--principal", "x", "--roles", "root"])
    assert bad.exit_code == 1 and len(bad.stderr.strip().splitlines()) == 1


def test_serve_runs_gunicorn_on_the_wsgi_app() -> None:
    from service.cli_service import gunicorn_argv

    argv = gunicorn_argv("127.0.0.1", 8123, 3, 4, 60)
    assert argv[1:3] == ["-m", "gunicorn"] and argv[-1] == "service.wsgi:app"
    assert "127.0.0.1:8123" in argv and argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--threads") + 1] == "4"
