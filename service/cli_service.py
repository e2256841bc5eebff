"""``kgrag keys ...`` (API keys) and ``kgrag serve`` (gunicorn)."""

from __future__ import annotations

import os
import sys

import click

from service.cli_common import echo_json, one_line_errors, open_services


@click.group()
def keys() -> None:
    """API keys: create, revoke, list."""


@keys.command("create")
@click.option("--principal", required=True, help="Who the key is for (shown in audit records).")
@click.option("--roles", default="reader", show_default=True,
              help="Comma separated: reader, ingester, admin.")
@click.option("--groups", default="", help="ACL groups, comma separated (public is implied).")
@one_line_errors
def keys_create(principal: str, roles: str, groups: str) -> None:
    """Create a key; it is printed once, alone on the last line, and never stored."""
    from service.auth import create_key, parse_list

    with open_services() as svc:
        issued = create_key(svc.store, principal=principal, roles=parse_list(roles),
                            groups=parse_list(groups))
    click.echo(f"created key {issued.key_id} for {principal} (store it now: it is not shown "
               "again)", err=True)
    click.echo(issued.key)


@keys.command("revoke")
@click.argument("key_id")
@one_line_errors
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id (the part after ``kg_``)."""
    from ontology.errors import NotFoundError
    from service.auth import revoke_key

    with open_services() as svc:
        if not revoke_key(svc.store, key_id):
            raise NotFoundError(f"no API key with id {key_id!r}")
    click.echo(f"revoked {key_id}")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def keys_list(as_json: bool) -> None:
    """Every key's id, principal, roles, groups and state (never the key)."""
    from dataclasses import asdict

    from service.auth import list_keys

    with open_services() as svc:
        found = list_keys(svc.store)
    if as_json:
        echo_json([asdict(k) for k in found])
        return
    for k in found:
        state = "revoked" if k.revoked else "active"
        click.echo(f"{k.id}  {state:<7}  {k.principal:<24} roles={','.join(k.roles)} "
                   f"groups={','.join(k.groups) or '-'}  created {k.created_at}")


def gunicorn_argv(host: str, port: int, workers: int, threads: int, timeout: int) -> list[str]:
    """The gunicorn command line ``kgrag serve`` runs."""
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
            "--workers", str(workers), "--timeout", str(timeout),
            "--graceful-timeout", "10", "--error-logfile", "-"]  # access log: ours, JSON
    if threads > 1:
        argv += ["--threads", str(threads)]
    if _gunicorn_has("control_socket_disable"):
        # gunicorn >= 27 opens ~/.gunicorn/gunicorn.ctl by default: one path shared by
        # every instance on the machine, which kgrag does not use.
        argv.append("--no-control-socket")
    return [*argv, "service.wsgi:app"]


def _gunicorn_has(setting: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(s.name == setting for s in KNOWN_SETTINGS)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Worker processes (each loads its own models).")
@click.option("--threads", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Threads per worker (gthread worker when > 1).")
@click.option("--timeout", type=click.IntRange(10, 3600), default=120, show_default=True,
              help="Seconds before a silent worker is restarted.")
@one_line_errors
def serve(host: str, port: int, workers: int, threads: int, timeout: int) -> None:
    """Serve the REST API with gunicorn (settings from KGRAG_* and NEO4J_* variables)."""
    from service.settings import Settings

    Settings.from_env()  # fail here, in one line, on a bad setting
    argv = gunicorn_argv(host, port, workers, threads, timeout)
    click.echo(f"serving on http://{host}:{port} ({workers} workers); docs at /docs", err=True)
    sys.stdout.flush()
    os.execv(argv[0], argv)
